using Chorus.Llama.Forge;

namespace Chorus.Llama.Merging;

/// <summary>
/// One merge: the models (GGUF paths, first one gives metadata and tokenizer), their weights (null: equal, summing to one),
/// the base of the task-vector methods, density (TIES, DARE), the DARE seed and the matrices' output type.
/// </summary>
public sealed record MergeRequest(MergeMethod Method, IReadOnlyList<string> Models, string OutputPath)
{
    public string? BaseModel { get; init; }
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>Share of each task vector TIES keeps (by magnitude) and DARE keeps (at random); mergekit's examples use 0.5.</summary>
    public double Density { get; init; } = 0.5;
    public ulong Seed { get; init; } = 1;
    public SyntheticWeightType Type { get; init; } = SyntheticWeightType.F16;

    /// <summary>The weights the merge uses: as given, or 1/N each.</summary>
    public double[] EffectiveWeights() => Weights is { Count: > 0 } given ? [.. given] : Enumerable.Repeat(1.0 / Models.Count, Models.Count).ToArray();

    /// <summary>Every problem with the request that can be seen without opening a file; empty when it can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Models.Count == 0) problems.Add("no models to merge: give --model FILE (repeatable)");
        if (string.IsNullOrWhiteSpace(OutputPath)) problems.Add("no output path: give --out FILE");
        if (Weights is { Count: > 0 } w && w.Count != Models.Count)
            problems.Add($"{w.Count} weights for {Models.Count} models: give one --weight per --model, or none for equal weights");
        if (Weights is { } ws && ws.Any(x => !double.IsFinite(x))) problems.Add("weights must be finite numbers");
        if (Method.NeedsBase() && BaseModel is null)
            problems.Add($"{Method.ToText()} works on task vectors (model − base): give --base FILE, the model the others were fine-tuned from");
        if (!Method.NeedsBase() && BaseModel is not null)
            problems.Add($"{Method.ToText()} does not use a base model: drop --base, or use task-arithmetic, ties or dare");
        if (Method == MergeMethod.Slerp && Models.Count != 2)
            problems.Add($"slerp interpolates exactly two models, {Models.Count} given");
        if (Method == MergeMethod.Slerp && Weights is { Count: 2 } sw && (sw[0] < 0 || sw[1] < 0 || sw[0] + sw[1] <= 0))
            problems.Add("slerp's weights must be non-negative and not both zero (t = w2 / (w1 + w2))");
        if (Method is MergeMethod.Ties or MergeMethod.Dare && !(Density > 0 && Density <= 1))
            problems.Add($"density must be in (0, 1], not {Density}");
        return problems;
    }

    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException($"cannot merge: {string.Join("; ", problems)}");
    }
}
