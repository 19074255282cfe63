namespace Chorus.Contracts;

/// <summary>
/// A pack to check: its members (the first is main), an optional sample text for bits per byte, and optional per-member
/// evidence for UniTE's Determine step — task scores in percentage points and mean response lengths (empty: unknown).
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.PackCheckRequest")]
public sealed record PackCheckRequest(
    [property: Id(0)] MemberSelection Members,
    [property: Id(1)] string? Text,
    [property: Id(2)] double[]? TaskScores = null,
    [property: Id(3)] double[]? ResponseLengths = null);

/// <summary>
/// One member against the main member: its vocabulary, the share of its pieces the main vocabulary also has, how MinED maps
/// each main token to it (exact piece, same text after marker normalisation, nearest by edit distance, special by role), and
/// its bits per byte on the sample (NaN without one).
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.MemberCheck")]
public sealed record MemberCheck(
    [property: Id(0)] string Model,
    [property: Id(1)] int VocabularySize,
    [property: Id(2)] string VocabularyHash,
    [property: Id(3)] double VocabularyOverlap,
    [property: Id(4)] int Exact,
    [property: Id(5)] int Marker,
    [property: Id(6)] int EditDistance,
    [property: Id(7)] int Special,
    [property: Id(8)] double BitsPerByte,
    [property: Id(9)] long Bytes,
    [property: Id(10)] bool Compatible,
    [property: Id(11)] string? ExcludedReason)
{
    private int Mapped => Exact + Marker + EditDistance + Special;
    public double ExactShare => Mapped > 0 ? (double)Exact / Mapped : 0;
    public double MarkerShare => Mapped > 0 ? (double)Marker / Mapped : 0;
    public double EditDistanceShare => Mapped > 0 ? (double)EditDistance / Mapped : 0;
}

/// <summary>The check: the main member, every member's figures, and UniTE's verdict (base member, whether an ensemble remains, why).</summary>
[GenerateSerializer, Immutable, Alias("chorus.PackCheckResult")]
public sealed record PackCheckResult(
    [property: Id(0)] string MainModel,
    [property: Id(1)] MemberCheck[] Members,
    [property: Id(2)] string BaseMember,
    [property: Id(3)] bool CanEnsemble,
    [property: Id(4)] string Verdict);
