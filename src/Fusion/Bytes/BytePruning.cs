namespace Chorus.Fusion;

/// <summary>
/// How a cover tree keeps its branches few: after each byte, a branch whose share of the prefix mass is below
/// <see cref="Threshold"/> is dropped, and at most <see cref="MaxBranches"/> are kept (the most probable). Each member
/// then holds at most <see cref="MaxBranches"/> KV sequences (so at most MaxBranches − 1 forks). The mass dropped is
/// measured (<see cref="ByteCoverTree.Slack"/>, <see cref="ByteCoverTree.LogDropped"/>): no silent approximation.
/// </summary>
/// <param name="Threshold">Smallest share of the prefix mass a branch keeps (0 keeps every branch: exact).</param>
/// <param name="MaxBranches">Most branches (KV sequences) per member.</param>
public sealed record BytePruning(double Threshold, int MaxBranches)
{
    /// <summary>No pruning: the exact byte distribution (tests, short texts).</summary>
    public static BytePruning Exact { get; } = new(0, int.MaxValue);

    /// <summary>The defaults of method <c>byte</c>: shares below 10⁻³, at most 4 branches per member.</summary>
    public static BytePruning Default { get; } = new(1e-3, 4);
}
