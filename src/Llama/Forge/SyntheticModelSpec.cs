namespace Chorus.Llama.Forge;

/// <summary>
/// Shape and seed of a synthetic llama-architecture model. <paramref name="Vocabulary"/> is a built-in vocabulary name
/// (llama-spm, llama-bpe, gpt-2, qwen2, phi-3, …) or the path of a GGUF file whose tokenizer is copied.
/// </summary>
public sealed record SyntheticModelSpec(
    string Vocabulary = "llama-spm",
    int Layers = 2,
    int Embedding = 64,
    int Heads = 4,
    int KvHeads = 4,
    int FeedForward = 256,
    int ContextLength = 256,
    SyntheticWeightType Type = SyntheticWeightType.F32,
    ulong Seed = 1)
{
    /// <summary>
    /// Standard deviation of the logits across the vocabulary (the output matrix is drawn with std LogitStd/√embd,
    /// and the final RMS norm makes the hidden state unit-RMS). 3 gives peaked but far-from-one-hot distributions;
    /// 0.02·√embd reproduces the plain N(0, 0.02) initialisation for training.
    /// </summary>
    public double LogitStd { get; init; } = 3.0;

    /// <summary><c>general.name</c>; null names the model after its shape.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// <c>tokenizer.chat_template</c> to write: a Jinja template, or a name of <see cref="Chat.ChatTemplates"/> (chatml,
    /// llama2); null keeps the vocabulary file's own (usually none).
    /// </summary>
    public string? ChatTemplate { get; init; }

    public int HeadDimension => Heads > 0 ? Embedding / Heads : 0;

    /// <summary>Width of the K and V projections (grouped-query attention shares each KV head among Heads/KvHeads query heads).</summary>
    public int KvEmbedding => HeadDimension * KvHeads;

    public string DisplayName => Name ?? $"chorus-synthetic-{Layers}x{Embedding}-{Type.ToText()}-seed{Seed}";

    /// <summary>Every problem with the spec, empty when it can be forged.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Vocabulary)) problems.Add("a vocabulary (name or GGUF path) is required");
        Positive(problems, Layers, "layers");
        Positive(problems, Embedding, "embedding length");
        Positive(problems, Heads, "heads");
        Positive(problems, KvHeads, "KV heads");
        Positive(problems, FeedForward, "feed-forward length");
        Positive(problems, ContextLength, "context length");
        if (!double.IsFinite(LogitStd) || LogitStd <= 0) problems.Add($"logit std must be a positive number, not {LogitStd}");
        if (Embedding > 0 && Heads > 0 && Embedding % Heads != 0)
            problems.Add($"embedding length {Embedding} is not divisible by {Heads} heads");
        else if (HeadDimension % 2 != 0)
            problems.Add($"head dimension {HeadDimension} (embedding / heads) must be even for rotary position embedding");
        if (Heads > 0 && KvHeads > 0 && Heads % KvHeads != 0)
            problems.Add($"{Heads} heads are not divisible by {KvHeads} KV heads (each KV head serves a whole group of query heads)");
        if (Type == SyntheticWeightType.Q8_0)
        {
            if (Embedding % 32 != 0) problems.Add($"q8_0 stores rows in blocks of 32: embedding length {Embedding} is not a multiple of 32");
            if (FeedForward % 32 != 0) problems.Add($"q8_0 stores rows in blocks of 32: feed-forward length {FeedForward} is not a multiple of 32");
        }
        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException($"invalid synthetic model spec: {string.Join("; ", problems)}");
    }

    private static void Positive(List<string> problems, int value, string what)
    {
        if (value <= 0) problems.Add($"{what} must be positive, not {value}");
    }
}
