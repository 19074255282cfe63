namespace Chorus.Contracts;

/// <summary>
/// A member's next-token distribution on the wire: full logits, or the top-k log-probs plus the log-sum-exp of
/// the full logits. Which one is the fusion method's requirement (its top-k; 0 = full).
/// </summary>
/// <remarks>Crosses silos as <see cref="DistributionDataSurrogate"/> (its arrays as raw bytes).</remarks>
[Immutable, Alias("chorus.DistributionData")]
public sealed record DistributionData(
    int VocabularySize,
    float LogSumExp,
    float[]? Logits,
    int[]? TopTokens,
    float[]? TopLogProbs);
