namespace Chorus.Contracts;

/// <summary>Per-member and fused perplexity and bits per byte of a text under a method (protocol in docs/cli.md).</summary>
[GenerateSerializer, Immutable, Alias("chorus.ScoreRequest")]
public sealed record ScoreRequest(
    [property: Id(0)] MemberSelection Members,
    [property: Id(1)] string? Method,
    [property: Id(2)] Dictionary<string, string> Parameters,
    [property: Id(3)] string Text,
    [property: Id(4)] int PromptTokens = -1);

[GenerateSerializer, Immutable, Alias("chorus.MemberScore")]
public sealed record MemberScore(
    [property: Id(0)] string Model,
    [property: Id(1)] int Tokens,
    [property: Id(2)] double Perplexity,
    [property: Id(3)] double MeanNll,
    [property: Id(4)] double Weight,
    [property: Id(5)] long Bytes,
    [property: Id(6)] double BitsPerByte);

[GenerateSerializer, Immutable, Alias("chorus.ScoreResult")]
public sealed record ScoreResult(
    [property: Id(0)] string Method,
    [property: Id(1)] int Tokens,
    [property: Id(2)] double Perplexity,
    [property: Id(3)] double MeanNll,
    [property: Id(4)] MemberScore[] Members,
    [property: Id(5)] int PromptTokens,
    [property: Id(6)] float[] MeanWeights,
    [property: Id(7)] long Bytes,
    [property: Id(8)] double BitsPerByte)
{
    /// <summary>What the method measured along the way (method <c>byte</c>: per member the pruning bound in bits, decodes, forks); null when nothing.</summary>
    [Id(9)] public Dictionary<string, double>? Diagnostics { get; init; }

    /// <summary>The windows a text longer than a member's context was scored in; null when it was scored whole.</summary>
    [Id(10)] public ScoreWindow[]? Windows { get; init; }
}

/// <summary>
/// One scoring window of a long text (UTF-16 offsets): its text runs from <paramref name="StartChar"/> to
/// <paramref name="EndChar"/>; what lies before <paramref name="ScoredChar"/> is its prompt, the rest is scored.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.ScoreWindow")]
public sealed record ScoreWindow(
    [property: Id(0)] int StartChar,
    [property: Id(1)] int ScoredChar,
    [property: Id(2)] int EndChar,
    [property: Id(3)] int Tokens = 0,
    [property: Id(4)] long Bytes = 0,
    [property: Id(5)] double BitsPerByte = double.NaN);
