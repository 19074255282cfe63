namespace Chorus.Contracts;

/// <summary>
/// What a drafting model is asked for in one call (speculative ensembling): keep <see cref="Keep"/> tokens, decode
/// <see cref="Tokens"/>, then propose <see cref="Count"/> tokens one after another — the arg-max, or (with
/// <see cref="Sampling"/>) a draw with the given uniform numbers from the distribution the request's sampler would draw
/// from — all inside the model's silo, so a round costs one call instead of one per drafted token.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.DraftRequest")]
public sealed record DraftRequest(
    [property: Id(0)] int Keep,
    [property: Id(1)] int[] Tokens,
    [property: Id(2)] int Count,
    [property: Id(3)] bool DecodeLast,
    [property: Id(4)] int TopK,
    [property: Id(5)] bool ReturnRows,
    [property: Id(6)] SamplingSpec? Sampling,
    [property: Id(7)] double[]? Uniforms);

/// <summary>
/// The proposed tokens; (when asked) the distribution after the decoded tokens, then after each proposal that was
/// decoded; the sequence's length afterwards (proposals past it were not decoded); and the time the call took.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.SequenceDraft")]
public sealed record SequenceDraft(
    [property: Id(0)] int[] Tokens,
    [property: Id(1)] DistributionData[] Rows,
    [property: Id(2)] int Length,
    [property: Id(3)] double Milliseconds);
