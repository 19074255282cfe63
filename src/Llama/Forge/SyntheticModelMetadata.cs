using Chorus.Llama.Gguf;

namespace Chorus.Llama.Forge;

/// <summary>The GGUF keys of a synthetic llama model: general.*, llama.* hyper-parameters and the copied tokenizer.</summary>
internal static class SyntheticModelMetadata
{
    public const string TokenizerPrefix = "tokenizer.";
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    public static List<KeyValuePair<string, GgufValue>> Build(SyntheticModelSpec spec, GgufFile vocabulary, int vocabularySize)
    {
        var entries = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.architecture", GgufValue.String("llama")),
            new("general.name", GgufValue.String(spec.DisplayName)),
            new("general.file_type", GgufValue.UInt32((uint)spec.Type.ToFileType())),
            new("llama.context_length", GgufValue.UInt32((uint)spec.ContextLength)),
            new("llama.embedding_length", GgufValue.UInt32((uint)spec.Embedding)),
            new("llama.block_count", GgufValue.UInt32((uint)spec.Layers)),
            new("llama.feed_forward_length", GgufValue.UInt32((uint)spec.FeedForward)),
            new("llama.attention.head_count", GgufValue.UInt32((uint)spec.Heads)),
            new("llama.attention.head_count_kv", GgufValue.UInt32((uint)spec.KvHeads)),
            new("llama.rope.dimension_count", GgufValue.UInt32((uint)spec.HeadDimension)),
            new("llama.attention.layer_norm_rms_epsilon", GgufValue.Float32(1e-5f)),
            new("llama.rope.freq_base", GgufValue.Float32(10000f)),
            new("llama.vocab_size", GgufValue.UInt32((uint)vocabularySize)),
            new("chorus.forge.seed", GgufValue.UInt64(spec.Seed)),
            new("chorus.forge.logit_std", GgufValue.Float64(spec.LogitStd)),
        };
        if (spec.Type == SyntheticWeightType.Q8_0)
            entries.Add(new("general.quantization_version", GgufValue.UInt32(2))); // what llama.cpp's quantiser records
        // The whole tokenizer, values and types untouched, so llama.cpp builds the very same vocabulary.
        entries.AddRange(vocabulary.Metadata.Where(e => e.Key.StartsWith(TokenizerPrefix, StringComparison.Ordinal)
            && !(spec.ChatTemplate is not null && e.Key == ChatTemplateKey)));
        if (spec.ChatTemplate is { } template)
            entries.Add(new(ChatTemplateKey, GgufValue.String(Chat.ChatTemplates.Resolve(template))));
        return entries;
    }

    public static int VocabularySize(GgufFile vocabulary)
    {
        if (!vocabulary.Metadata.TryGetValue(TokensKey, out var tokens) || tokens.ElementType != GgufValueType.String)
            throw new GgufFormatException(vocabulary.Path, $"it has no '{TokensKey}' string array, so it is not a vocabulary file");
        if (tokens.Count == 0)
            throw new GgufFormatException(vocabulary.Path, $"'{TokensKey}' is empty");
        return tokens.Count;
    }
}
