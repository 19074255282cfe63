namespace Chorus.Contracts;

/// <summary>
/// A member's next-token distribution on the wire: full logits, or the top-k log-probs plus the log-sum-exp of
/// the full logits. Which one is the fusion method's requirement (its top-k; 0 = full).
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.DistributionData")]
public sealed record DistributionData(
    [property: Id(0)] int VocabularySize,
    [property: Id(1)] float LogSumExp,
    [property: Id(2)] float[]? Logits,
    [property: Id(3)] int[]? TopTokens,
    [property: Id(4)] float[]? TopLogProbs);
