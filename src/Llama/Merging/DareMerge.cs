namespace Chorus.Llama.Merging;

/// <summary>
/// DARE (Yu et al. 2024, "Language Models are Super Mario") as mergekit's <c>dare_linear</c>: each element of each task vector
/// τ_i = m_i − base is kept with probability density (dropped with p = 1 − density) and the kept ones are rescaled by
/// 1/density; out = base + Σ_i w_i τ̃_i (task arithmetic, not normalised). The drop mask is seeded per (seed, tensor, model),
/// so a merge is reproducible on every machine. The rescale is 1/density, as in the paper and in mergekit before it
/// switched to matching each task vector's L1 norm; <c>dare-ties</c> adds TIES's sign election (see <see cref="TaskVectorMerge"/>).
/// </summary>
public static class DareMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights,
        double density, ulong seed, int tensorIndex, Span<float> output) =>
        TaskVectorMerge.Merge(baseModel, models, weights, MergeMethod.Dare.Defaults(density) with { Seed = seed }, tensorIndex, output);
}
