using Chorus.Llama.Forge;

namespace Chorus.Llama.Merging;

/// <summary>
/// One merge: the models (GGUF paths, first one gives metadata and tokenizer), their weights (null: equal, summing to one;
/// negative weights subtract a task vector), the base of the task-vector methods, density (TIES, DARE), mergekit's
/// normalize, lambda and rescale, SLERP's t per tensor or layer, the DARE seed and the matrices' output type.
/// </summary>
public sealed record MergeRequest(MergeMethod Method, IReadOnlyList<string> Models, string OutputPath)
{
    public string? BaseModel { get; init; }
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>Share of each task vector TIES keeps (by magnitude) and DARE keeps (at random); null: the method's default
    /// (<see cref="MergeMethods.DefaultDensity"/>).</summary>
    public double? Density { get; init; }

    /// <summary>Divide by the contributing weights (linear, task-vector methods); null: the method's mergekit default.</summary>
    public bool? Normalize { get; init; }

    /// <summary>Scale of the mixed task vector (task-vector methods); mergekit's default 1.</summary>
    public double Lambda { get; init; } = 1;

    /// <summary>Rescale thinned task vectors (DARE: 1/density; TIES: to the L1 norm); null: the method's mergekit default.</summary>
    public bool? Rescale { get; init; }

    /// <summary>SLERP's t per tensor or per layer (mergekit's gradient lists); null: t = w2 / (w1 + w2).</summary>
    public SlerpSchedule? SlerpT { get; init; }

    public ulong Seed { get; init; } = 1;
    public SyntheticWeightType Type { get; init; } = SyntheticWeightType.F16;

    /// <summary>The weights the merge uses: as given, or 1/N each.</summary>
    public double[] EffectiveWeights() => Weights is { Count: > 0 } given ? [.. given] : Enumerable.Repeat(1.0 / Models.Count, Models.Count).ToArray();

    /// <summary>The density the merge uses: as given, or the method's default.</summary>
    public double EffectiveDensity => Density ?? Method.DefaultDensity();

    /// <summary>The task-vector settings: the method's mergekit defaults with this request's overrides.</summary>
    public TaskVectorOptions TaskVectorOptions()
    {
        var defaults = Method.Defaults(EffectiveDensity);
        return defaults with
        {
            Normalize = Normalize ?? defaults.Normalize,
            Rescale = Rescale ?? defaults.Rescale,
            Lambda = Lambda,
            Seed = Seed,
        };
    }

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
            problems.Add($"{Method.ToText()} does not use a base model: drop --base, or use task-arithmetic, ties, dare or dare-ties");
        if (Method == MergeMethod.Slerp && Models.Count != 2)
            problems.Add($"slerp interpolates exactly two models, {Models.Count} given");
        if (Method == MergeMethod.Slerp && Weights is { Count: 2 } sw && (sw[0] < 0 || sw[1] < 0 || sw[0] + sw[1] <= 0))
            problems.Add("slerp's weights must be non-negative and not both zero (t = w2 / (w1 + w2))");
        if (Method.UsesDensity() && !(EffectiveDensity > 0 && EffectiveDensity <= 1))
            problems.Add($"density must be in (0, 1], not {EffectiveDensity}");
        if (Density is not null && !Method.UsesDensity())
            problems.Add($"{Method.ToText()} has no density: drop --density, or use ties, dare or dare-ties");
        if (!double.IsFinite(Lambda)) problems.Add($"lambda must be a finite number, not {Lambda}");
        if (Lambda != 1 && !Method.NeedsBase())
            problems.Add($"{Method.ToText()} has no lambda (it scales task vectors): drop --lambda, or use a task-vector method");
        if (Rescale is not null && !Method.UsesDensity())
            problems.Add($"{Method.ToText()} thins nothing to rescale: drop --rescale, or use ties, dare or dare-ties");
        if (Normalize is not null && Method == MergeMethod.Slerp)
            problems.Add("slerp has no normalize: drop --normalize");
        if (SlerpT is not null && Method != MergeMethod.Slerp)
            problems.Add($"{Method.ToText()} has no t: drop --t, or use slerp");
        if (SlerpT is not null && Weights is { Count: > 0 })
            problems.Add("slerp takes either --t (per tensor or layer) or --weight (t = w2 / (w1 + w2)), not both");
        return problems;
    }

    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException($"cannot merge: {string.Join("; ", problems)}");
    }
}
