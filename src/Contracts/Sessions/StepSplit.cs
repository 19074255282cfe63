namespace Chorus.Contracts;

/// <summary>
/// Mean time per fused step along its critical path (the slowest member): the member call as the session saw it, and
/// of it transport (messaging, serialisation), the model's queue, <c>llama_decode</c>, reading rows (logits copy,
/// log-sum-exp, top-k) and the rest of the model grain's work; then sampling and streaming the token in the session.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.StepSplit")]
public sealed record StepSplit(
    [property: Id(0)] double CallMilliseconds,
    [property: Id(1)] double TransportMilliseconds,
    [property: Id(2)] double QueueMilliseconds,
    [property: Id(3)] double DecodeMilliseconds,
    [property: Id(4)] double ReadMilliseconds,
    [property: Id(5)] double GrainMilliseconds,
    [property: Id(6)] double SampleMilliseconds,
    [property: Id(7)] double StreamMilliseconds);
