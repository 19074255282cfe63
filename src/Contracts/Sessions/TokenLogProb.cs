namespace Chorus.Contracts;

/// <summary>A token of the main vocabulary with its log-probability under the fused distribution.</summary>
[GenerateSerializer, Immutable, Alias("chorus.TokenLogProb")]
public sealed record TokenLogProb(
    [property: Id(0)] int TokenId,
    [property: Id(1)] string Text,
    [property: Id(2)] float LogProb,
    [property: Id(3)] byte[] Bytes);
