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
}

public static class MergeMethods
{
    public static readonly IReadOnlyList<string> Names = ["linear", "task-arithmetic", "ties", "dare", "slerp"];

    public static MergeMethod Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "linear" => MergeMethod.Linear,
        "task-arithmetic" or "task_arithmetic" => MergeMethod.TaskArithmetic,
        "ties" => MergeMethod.Ties,
        "dare" or "dare-linear" or "dare_linear" => MergeMethod.Dare,
        "slerp" => MergeMethod.Slerp,
        _ => throw new ArgumentException($"unknown merge method '{text}'; use {string.Join(", ", Names)}", nameof(text)),
    };

    public static string ToText(this MergeMethod method) => Names[(int)method];

    /// <summary>Whether the method works on task vectors (m_i − base) and so needs a base model.</summary>
    public static bool NeedsBase(this MergeMethod method) => method is MergeMethod.TaskArithmetic or MergeMethod.Ties or MergeMethod.Dare;
}
