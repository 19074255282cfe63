namespace Chorus.Contracts;

/// <summary>A member sequence opened for a session: the prompt evidence and the first next-token distribution.</summary>
[GenerateSerializer, Immutable, Alias("chorus.SequenceOpened")]
public sealed record SequenceOpened(
    [property: Id(0)] PromptEvidenceData Evidence,
    [property: Id(1)] DistributionData Next,
    [property: Id(2)] double PrefillMilliseconds);
