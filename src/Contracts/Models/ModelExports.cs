namespace Chorus.Contracts;

/// <summary>A model's tokenizer as a vocabulary-only GGUF (so another silo can tokenize exactly as the model does).</summary>
[GenerateSerializer, Immutable, Alias("chorus.TokenizerExport")]
public sealed record TokenizerExport(
    [property: Id(0)] string VocabularyHash,
    [property: Id(1)] byte[] Gguf);

/// <summary>
/// A model's token-embedding matrix (row-major |V| × dimension), for DeePEn's relative space. Crosses silos as
/// <see cref="EmbeddingExportSurrogate"/>: raw bytes, not |V| × dimension floats written one by one.
/// </summary>
[Immutable, Alias("chorus.EmbeddingExport")]
public sealed record EmbeddingExport(int Dimension, float[] Data);

/// <summary>The wire form of <see cref="EmbeddingExport"/>.</summary>
[GenerateSerializer, Immutable, Alias("chorus.EmbeddingExport.Wire")]
public struct EmbeddingExportSurrogate
{
    [Id(0)] public int Dimension;
    [Id(1)] public byte[] Data;
}

/// <summary>Converts <see cref="EmbeddingExport"/> to and from its wire form.</summary>
[RegisterConverter]
public sealed class EmbeddingExportConverter : IConverter<EmbeddingExport, EmbeddingExportSurrogate>
{
    public EmbeddingExport ConvertFromSurrogate(in EmbeddingExportSurrogate surrogate) =>
        new(surrogate.Dimension, RawArrays.Values<float>(surrogate.Data) ?? []);

    public EmbeddingExportSurrogate ConvertToSurrogate(in EmbeddingExport value) =>
        new() { Dimension = value.Dimension, Data = RawArrays.Bytes(value.Data) ?? [] };
}
