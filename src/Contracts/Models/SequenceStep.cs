namespace Chorus.Contracts;

/// <summary>One member step: the next distribution and what the member decoded to get there.</summary>
/// <param name="Next">The distribution after the appended tokens.</param>
/// <param name="Decoded">Tokens decoded this step (in the member's vocabulary).</param>
/// <param name="RolledBack">Tokens removed from the member's cache first (re-tokenization diverged).</param>
/// <param name="Milliseconds">Time the member spent on the step (queueing and batching included).</param>
[GenerateSerializer, Immutable, Alias("chorus.SequenceStep")]
public sealed record SequenceStep(
    [property: Id(0)] DistributionData Next,
    [property: Id(1)] int[] Decoded,
    [property: Id(2)] int RolledBack,
    [property: Id(3)] double Milliseconds)
{
    /// <summary>Of <see cref="Milliseconds"/>: waiting in the model's scheduler for a decode to start.</summary>
    [Id(4)] public double QueueMilliseconds { get; init; }

    /// <summary>Of <see cref="Milliseconds"/>: inside <c>llama_decode</c> (the whole batch the step was part of).</summary>
    [Id(5)] public double DecodeMilliseconds { get; init; }

    /// <summary>Of <see cref="Milliseconds"/>: copying logits and building the distribution (log-sum-exp, top-k).</summary>
    [Id(6)] public double ReadMilliseconds { get; init; }
}
