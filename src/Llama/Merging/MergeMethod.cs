namespace Chorus.Llama.Merging;

/// <summary>The weight-space merges of Model-GLUE (mergekit's semantics): how one tensor of several same-shaped models becomes one.</summary>
public enum MergeMethod
{
    /// <summary>Σ w_i m_i / Σ w_i.</summary>
    Linear,

    /// <summary>base + Σ w_i (m_i − base).</summary>
    TaskArithmetic,

    /// <summary>TIES: trim each task vector to its top-density magnitudes, elect a sign per element, average the agreeing ones.</summary>
    Ties,

    /// <summary>DARE: drop each task-vector element with probability 1 − density, rescale the rest by 1/density, add as task arithmetic.</summary>
    Dare,

    /// <summary>Spherical interpolation of two models, tensor by tensor.</summary>
    Slerp,

    /// <summary>DARE's random drop and 1/density rescale, then TIES's sign election (mergekit's <c>dare_ties</c>, not normalised).</summary>
    DareTies,
}

public static class MergeMethods
{
    public static readonly IReadOnlyList<string> Names = ["linear", "task-arithmetic", "ties", "dare", "slerp", "dare-ties"];

    public static MergeMethod Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "linear" => MergeMethod.Linear,
        "task-arithmetic" or "task_arithmetic" => MergeMethod.TaskArithmetic,
        "ties" => MergeMethod.Ties,
        "dare" or "dare-linear" or "dare_linear" => MergeMethod.Dare,
        "slerp" => MergeMethod.Slerp,
        "dare-ties" or "dare_ties" => MergeMethod.DareTies,
        _ => throw new ArgumentException($"unknown merge method '{text}'; use {string.Join(", ", Names)}", nameof(text)),
    };

    public static string ToText(this MergeMethod method) => Names[(int)method];

    /// <summary>Whether the method works on task vectors (m_i − base) and so needs a base model.</summary>
    public static bool NeedsBase(this MergeMethod method) => method is MergeMethod.TaskArithmetic or MergeMethod.Ties or MergeMethod.Dare or MergeMethod.DareTies;

    /// <summary>Whether the method thins task vectors and so reads a density.</summary>
    public static bool UsesDensity(this MergeMethod method) => method is MergeMethod.Ties or MergeMethod.Dare or MergeMethod.DareTies;

    /// <summary>
    /// Density when none is given. TIES: mergekit's default, 1 (no trimming; the sign election still applies). The DARE
    /// methods: 0.5, mergekit's examples — its default of 1 would make the random drop a no-op.
    /// </summary>
    public static double DefaultDensity(this MergeMethod method) => method == MergeMethod.Ties ? 1.0 : 0.5;

    /// <summary>
    /// mergekit's settings of its generalized task arithmetic for the method: ties normalises and does not rescale;
    /// dare_linear and dare_ties rescale and do not normalise; task_arithmetic does neither. λ = 1.
    /// </summary>
    public static TaskVectorOptions Defaults(this MergeMethod method, double density) => method switch
    {
        MergeMethod.TaskArithmetic => new(Sparsification.None, SignConsensus: false, Normalize: false, Lambda: 1, Rescale: false, Density: 1),
        MergeMethod.Ties => new(Sparsification.Magnitude, SignConsensus: true, Normalize: true, Lambda: 1, Rescale: false, density),
        MergeMethod.Dare => new(Sparsification.Random, SignConsensus: false, Normalize: false, Lambda: 1, Rescale: true, density),
        MergeMethod.DareTies => new(Sparsification.Random, SignConsensus: true, Normalize: false, Lambda: 1, Rescale: true, density),
        _ => throw new ArgumentException($"{method.ToText()} does not merge task vectors", nameof(method)),
    };
}
