namespace Chorus.Contracts;

/// <summary>Sequence slots of a model grain: how many are open, and for which sessions.</summary>
[GenerateSerializer, Immutable, Alias("chorus.SlotUsage")]
public sealed record SlotUsage(
    [property: Id(0)] int MaxSequences,
    [property: Id(1)] int ActiveSequences,
    [property: Id(2)] Guid[] Sessions,
    [property: Id(3)] long BatchedSteps,
    [property: Id(4)] long DecodeCalls);
