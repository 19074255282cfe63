namespace Chorus.Contracts;

/// <summary>What a model grain serves: its identity, vocabulary, size and where it runs.</summary>
[GenerateSerializer, Immutable, Alias("chorus.ModelFacts")]
public sealed record ModelFacts(
    [property: Id(0)] string Id,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Path,
    [property: Id(3)] string VocabularyKind,
    [property: Id(4)] string VocabularyHash,
    [property: Id(5)] int VocabularySize,
    [property: Id(6)] long Parameters,
    [property: Id(7)] int ContextSize,
    [property: Id(8)] int MaxSequences,
    [property: Id(9)] string Description,
    [property: Id(10)] string Device)
{
    /// <summary>The model's <c>tokenizer.chat_template</c>, null when it has none (its chats use the plain format).</summary>
    [Id(20)] public string? ChatTemplate { get; init; }
}
