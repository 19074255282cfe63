namespace Chorus.Contracts;

/// <summary>
/// How a <see cref="DistributionData"/> crosses silos: its arrays as raw little-endian bytes. Orleans writes a
/// <c>float[]</c> element by element, each with a field header (5 bytes a float; 32,000 full logits took 0.64 ms to
/// serialise and 0.49 ms to read back, 160 KB), and a <c>byte[]</c> as one block (0.08 / 0.07 ms, 128 KB): every
/// remote member's step paid the difference. In one silo nothing is converted (the type is immutable and passed by
/// reference). Every silo of a cluster must run a build with this format.
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.DistributionData.Wire")]
public struct DistributionDataSurrogate
{
    [Id(0)] public int VocabularySize;
    [Id(1)] public float LogSumExp;
    [Id(2)] public byte[]? Logits;
    [Id(3)] public byte[]? TopTokens;
    [Id(4)] public byte[]? TopLogProbs;
}

/// <summary>Converts <see cref="DistributionData"/> to and from its wire form (see <see cref="DistributionDataSurrogate"/>).</summary>
[RegisterConverter]
public sealed class DistributionDataConverter : IConverter<DistributionData, DistributionDataSurrogate>
{
    public DistributionData ConvertFromSurrogate(in DistributionDataSurrogate surrogate) => new(
        surrogate.VocabularySize, surrogate.LogSumExp, RawArrays.Values<float>(surrogate.Logits), RawArrays.Values<int>(surrogate.TopTokens),
        RawArrays.Values<float>(surrogate.TopLogProbs));

    public DistributionDataSurrogate ConvertToSurrogate(in DistributionData value) => new()
    {
        VocabularySize = value.VocabularySize,
        LogSumExp = value.LogSumExp,
        Logits = RawArrays.Bytes(value.Logits),
        TopTokens = RawArrays.Bytes(value.TopTokens),
        TopLogProbs = RawArrays.Bytes(value.TopLogProbs),
    };
}
