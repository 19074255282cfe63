namespace Chorus.Contracts;

/// <summary>What one <see cref="SequenceEditRequest"/> did and returned.</summary>
/// <param name="Next">
/// The distribution after the last token decoded; null when the request asked for rows (<see cref="Rows"/> holds them) or drafted.
/// </param>
/// <param name="Rows">
/// With <see cref="SequenceEditRequest.AllRows"/>: the distribution after each appended token. With
/// <see cref="SequenceEditRequest.PrefixLengths"/>: after each prefix (null where none of this edit's rows is it). With a
/// draft that returns rows: after the appended tokens, then after each proposal decoded. Otherwise empty.
/// </param>
/// <param name="Decoded">Tokens decoded (in the model's vocabulary): the appended ones, then the proposals decoded.</param>
/// <param name="RolledBack">Tokens removed from the cache first (rejected drafts, a diverging re-tokenization).</param>
/// <param name="Length">Tokens the sequence holds afterwards (proposals past it were not decoded).</param>
/// <param name="Milliseconds">Time the model spent on the edit (queueing and batching included).</param>
[GenerateSerializer, Immutable, Alias("chorus.SequenceEditReply")]
public sealed record SequenceEditReply(
    [property: Id(0)] DistributionData? Next,
    [property: Id(1)] DistributionData?[] Rows,
    [property: Id(2)] int[] Decoded,
    [property: Id(3)] int RolledBack,
    [property: Id(4)] int Length,
    [property: Id(5)] double Milliseconds)
{
    /// <summary>Of <see cref="Milliseconds"/>: waiting in the model's scheduler for a decode to start.</summary>
    [Id(6)] public double QueueMilliseconds { get; init; }

    /// <summary>Of <see cref="Milliseconds"/>: inside <c>llama_decode</c> (the whole batch the edit was part of).</summary>
    [Id(7)] public double DecodeMilliseconds { get; init; }

    /// <summary>Of <see cref="Milliseconds"/>: copying logits and building the distributions (log-sum-exp, top-k).</summary>
    [Id(8)] public double ReadMilliseconds { get; init; }

    /// <summary>
    /// After a prefill: the prompt as the model saw it — its tokens, their char offsets and (with
    /// <see cref="SequenceEditRequest.Evidence"/>) their log-probabilities, NaN otherwise. Null for other edits.
    /// </summary>
    [Id(9)] public PromptEvidenceData? Evidence { get; init; }

    /// <summary>The proposed tokens of a draft (empty without one).</summary>
    [Id(10)] public int[] Drafted { get; init; } = [];
}
