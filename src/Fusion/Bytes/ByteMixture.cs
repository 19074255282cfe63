namespace Chorus.Fusion;

/// <summary>
/// Mixes the members' next-byte distributions: q(b) = Σ_k w_k q_k(b), exact across vocabularies because every member
/// speaks bytes. For generation (<see cref="Mix"/>) the UTF-8 mask then removes every byte that cannot continue valid
/// text (and "end" mid-character) and the rest is renormalised. A score (<see cref="LogProbOf"/>) takes q(b) as it
/// is: no mask and no renormalisation, the rule every member and token-level method is scored by (renormalising under
/// the mask hands the fused score the mass members put on invalid bytes, which nobody else gets).
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

    /// <summary>log Σ_k w_k q_k(s) for one symbol: the fused score of a byte, without mask or renormalisation (−∞ when no member gives it mass).</summary>
    public static double LogProbOf(ReadOnlySpan<double> weights, IReadOnlyList<double[]> memberLogProbs, int symbol)
    {
        ArgumentNullException.ThrowIfNull(memberLogProbs);
        if (weights.Length != memberLogProbs.Count) throw new ArgumentException($"{weights.Length} weights for {memberLogProbs.Count} members");
        ArgumentOutOfRangeException.ThrowIfNegative(symbol);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(symbol, ByteDistribution.Symbols);
        double mass = 0;
        for (var k = 0; k < weights.Length; k++)
            if (weights[k] > 0) mass += weights[k] * Math.Exp(memberLogProbs[k][symbol]);
        return mass > 0 ? Math.Log(mass) : double.NegativeInfinity;
    }
}
