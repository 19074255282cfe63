namespace Chorus.Contracts;

/// <summary>
/// One multi-token edit of a sequence (speculative verification): the distribution after each appended token, in order.
/// An entry is null where the model cannot give the distribution the plain path would (a text prefix whose tokenization
/// is not a prefix of the whole).
/// </summary>
/// <param name="Rows">Distribution after each appended token (or after each requested text prefix).</param>
/// <param name="Decoded">Tokens decoded (in the member's vocabulary).</param>
/// <param name="RolledBack">Tokens removed from the cache first (rejected drafts, a diverging re-tokenization).</param>
/// <param name="Milliseconds">Time the member spent on the edit (queueing and batching included).</param>
[GenerateSerializer, Immutable, Alias("chorus.SequenceRows")]
public sealed record SequenceRows(
    [property: Id(0)] DistributionData?[] Rows,
    [property: Id(1)] int[] Decoded,
    [property: Id(2)] int RolledBack,
    [property: Id(3)] double Milliseconds);
