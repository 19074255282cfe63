using Chorus.Llama.Forge;
using Chorus.Llama.Merging;

namespace Chorus.Client.Eval;

/// <summary>
/// The merging experiment (issue 11; Model-GLUE's "merge + mixture"): three experts fine-tuned from one base (general-small)
/// merged four ways, scored against their parents, PackLLM fusion and the mixture router, and the router given the merged
/// model as one more expert. Opt-in: <c>chorus eval --suites merging</c>.
/// </summary>
internal static class MergingSuite
{
    public const string Name = "merging";
    public static readonly string[] Experts = ["merging/wiki-small-expert", "shakespeare-small-expert", "merging/linux-small-expert"];
    public const string Base = "general-small";

    /// <summary>
    /// Writes the merges of the experts (F32, so the comparison is not blurred by rounding) into <paramref name="folder"/>:
    /// linear (⅓ each), task arithmetic (λ = 1 per task vector), TIES and DARE (density 0.5, weights 1, seed 1).
    /// The linear merge — Model-GLUE's default method — is the one the mixture gets, chosen before any score was seen.
    /// </summary>
    public static string[] Merge(Func<string, string> model, string folder, TextWriter progress)
    {
        Directory.CreateDirectory(folder);
        var experts = Experts.Select(model).ToArray();
        var basePath = model(Base);
        (MergeMethod Method, double[]? Weights)[] merges =
            [(MergeMethod.Linear, null), (MergeMethod.TaskArithmetic, [1, 1, 1]), (MergeMethod.Ties, [1, 1, 1]), (MergeMethod.Dare, [1, 1, 1])];
        var paths = new List<string>();
        foreach (var (method, weights) in merges)
        {
            var merged = ModelMerger.Merge(new MergeRequest(method, experts, Path.Combine(folder, $"merged-{method.ToText()}.gguf"))
            {
                // density 0.5 for ties and dare, as measured in docs/quality.md (ties' default is now mergekit's 1)
                BaseModel = method.NeedsBase() ? basePath : null, Weights = weights, Type = SyntheticWeightType.F32,
                Density = method.UsesDensity() ? 0.5 : null,
            });
            progress.WriteLine($"merged {method.ToText()} in {merged.Elapsed.TotalSeconds:F2} s");
            paths.Add(merged.Path);
        }
        return [.. paths];
    }

    public static async Task RunAsync(EvalRunner runner, string[] expertIds, string baseId, string[] mergedIds,
        IEnumerable<(string Set, IReadOnlyList<EvalText> Windows)> textSets, List<TextSetScore> scores, CancellationToken ct)
    {
        foreach (var (set, windows) in textSets)
        {
            scores.Add(await runner.ScoreAsync("merging: experts", set, expertIds, ["packllm-sim", "mixture"], windows, cancellationToken: ct));
            // members alone come with the first method's replies; the mixture over base + merges is reported, not discussed
            scores.Add(await runner.ScoreAsync("merging: merged", set, [baseId, .. mergedIds], ["mixture"], windows, cancellationToken: ct));
            scores.Add(await runner.ScoreAsync("merging: merged + experts", set, [mergedIds[0], .. expertIds], ["mixture", "packllm-sim"], windows, cancellationToken: ct));
        }
    }
}
