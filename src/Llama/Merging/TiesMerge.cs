namespace Chorus.Llama.Merging;

/// <summary>
/// TIES-merging (Yadav et al. 2023) as mergekit's <c>ties</c> runs it: per model, trim the task vector τ_i = m_i − base to its
/// k = ⌊density·n⌋ largest magnitudes; elect each element's sign as the sign of Σ_i w_i τ̂_i (zero counts as +, as in mergekit);
/// keep only the trimmed entries that agree with it, and take their weighted mean (disjoint mean, mergekit's default
/// normalisation): out = base + Σ_i w_i τ̂_i [agree] / Σ_i w_i [agree] (0/0 → 0). The general form, with normalize,
/// lambda and rescale, is <see cref="TaskVectorMerge"/>.
/// </summary>
public static class TiesMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, double density, Span<float> output) =>
        TaskVectorMerge.Merge(baseModel, models, weights, MergeMethod.Ties.Defaults(density), 0, output);

    /// <summary>
    /// Zeroes all but the k = ⌊density·n⌋ largest |values| (at least one). Exactly k survive: ties at the threshold go to the
    /// lowest indices (torch.topk leaves tie order unspecified; quantised weights make ties common, so we fix one).
    /// </summary>
    public static void TrimToTopMagnitudes(Span<float> values, double density, Span<float> scratch)
    {
        TensorMergeChecks.Density(density);
        var n = values.Length;
        if (n == 0 || density >= 1) return;
        // mergekit asserts k > 0; a tiny tensor at a low density keeps its largest entry instead of failing the merge
        var k = Math.Max(1, (int)(density * n));
        var magnitudes = scratch[..n];
        for (var j = 0; j < n; j++) magnitudes[j] = Math.Abs(values[j]);
        magnitudes.Sort();
        var threshold = magnitudes[n - k];
        var above = 0;
        for (var j = 0; j < n; j++) if (Math.Abs(values[j]) > threshold) above++;
        var tiesLeft = k - above;
        for (var j = 0; j < n; j++)
        {
            var a = Math.Abs(values[j]);
            if (a > threshold) continue;
            if (a == threshold && tiesLeft > 0) { tiesLeft--; continue; }
            values[j] = 0;
        }
    }
}
