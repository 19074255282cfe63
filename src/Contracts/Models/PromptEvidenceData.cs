namespace Chorus.Contracts;

/// <summary>What a member saw of the prompt in its own tokenization (see Chorus.Fusion.PromptEvidence).</summary>
[GenerateSerializer, Immutable, Alias("chorus.PromptEvidenceData")]
public sealed record PromptEvidenceData(
    [property: Id(0)] int[] TokenIds,
    [property: Id(1)] float[] LogProbs,
    [property: Id(2)] int[] CharOffsets,
    [property: Id(3)] DistributionData?[]? Positions);
