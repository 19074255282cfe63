namespace Chorus.Contracts;

/// <summary>
/// A KV sequence a model grain granted to an owner (a session): every call on the sequence takes it. The lease number
/// is unique per grant, so a handle kept after its sequence was freed never reaches the slot's next owner.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.SequenceHandle")]
public sealed record SequenceHandle(
    [property: Id(0)] string Model,
    [property: Id(1)] int Slot,
    [property: Id(2)] long Lease);
