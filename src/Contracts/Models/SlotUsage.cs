namespace Chorus.Contracts;

/// <summary>Sequence slots of a model grain: how many are open and for which owners, the queue, and the safety net's count.</summary>
[GenerateSerializer, Immutable, Alias("chorus.SlotUsage")]
public sealed record SlotUsage(
    [property: Id(0)] int MaxSequences,
    [property: Id(1)] int ActiveSequences,
    [property: Id(2)] Guid[] Sessions,
    [property: Id(3)] long BatchedSteps,
    [property: Id(4)] long DecodeCalls)
{
    /// <summary>Requests waiting for slots now.</summary>
    [Id(5)] public int Waiting { get; init; }

    /// <summary>Sequences the idle sweep had to free since activation (owners that never released them; should stay 0).</summary>
    [Id(6)] public long SweptSequences { get; init; }

    /// <summary>False after a decode failed in a way that leaves the model unable to serve.</summary>
    [Id(7)] public bool Healthy { get; init; } = true;
}
