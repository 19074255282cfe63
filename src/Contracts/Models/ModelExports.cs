namespace Chorus.Contracts;

/// <summary>A model's tokenizer as a vocabulary-only GGUF (so another silo can tokenize exactly as the model does).</summary>
[GenerateSerializer, Immutable, Alias("chorus.TokenizerExport")]
public sealed record TokenizerExport(
    [property: Id(0)] string VocabularyHash,
    [property: Id(1)] byte[] Gguf);

/// <summary>A model's token-embedding matrix (row-major |V| × dimension), for DeePEn's relative space.</summary>
[GenerateSerializer, Immutable, Alias("chorus.EmbeddingExport")]
public sealed record EmbeddingExport(
    [property: Id(0)] int Dimension,
    [property: Id(1)] float[] Data);
