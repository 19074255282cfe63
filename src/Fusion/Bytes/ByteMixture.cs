namespace Chorus.Fusion;

/// <summary>
/// Mixes the members' next-byte distributions: q(b) = Σ_k w_k q_k(b), exact across vocabularies because every member
/// speaks bytes; then the UTF-8 mask removes every byte that cannot continue valid text (and "end" mid-character) and
/// the rest is renormalised.
/// </summary>
public static class ByteMixture
{
    /// <summary>Writes the fused 257 log-probabilities; false when the members and the mask leave nothing.</summary>
    public static bool Mix(ReadOnlySpan<double> weights, IReadOnlyList<double[]> memberLogProbs, in Utf8Continuation utf8, Span<double> fused)
    {
        ArgumentNullException.ThrowIfNull(memberLogProbs);
        if (weights.Length != memberLogProbs.Count) throw new ArgumentException($"{weights.Length} weights for {memberLogProbs.Count} members");
        if (fused.Length != ByteDistribution.Symbols) throw new ArgumentException($"need {ByteDistribution.Symbols} entries", nameof(fused));
        Span<double> mass = stackalloc double[ByteDistribution.Symbols];
        mass.Clear();
        for (var k = 0; k < weights.Length; k++)
        {
            if (weights[k] <= 0) continue;
            var q = memberLogProbs[k];
            for (var s = 0; s < ByteDistribution.Symbols; s++) mass[s] += weights[k] * Math.Exp(q[s]);
        }
        ByteDistribution.LogNormalize(mass, fused);
        return utf8.Mask(fused) && ByteDistribution.Renormalize(fused);
    }
}
