using Chorus.Llama.Gguf;

namespace Chorus.Llama.Tests.Gguf;

/// <summary>Every vocabulary file llama.cpp ships reads completely, and agrees with what llama.cpp itself sees.</summary>
public sealed class GgufVocabularyFileTests
{
    public static TheoryData<string> VocabularyFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Chorus.Llama.VocabularyFiles.Directory, "ggml-vocab-*.gguf").Order())
            data.Add(Path.GetFileName(file));
        return data;
    }

    public static TheoryData<string> BuiltInNames() => new(Chorus.Llama.VocabularyFiles.BuiltInNames);

    [Theory]
    [MemberData(nameof(VocabularyFiles))]
    public void Every_vocabulary_file_reads_with_a_consistent_tokenizer(string fileName)
    {
        using var file = GgufFile.Open(Path.Combine(Chorus.Llama.VocabularyFiles.Directory, fileName));
        Assert.InRange(file.Version, 2u, 3u);
        Assert.False(string.IsNullOrEmpty(file.Architecture));
        Assert.Equal(GgufValueType.String, file.Metadata["tokenizer.ggml.model"].Type);
        var tokens = file.Metadata["tokenizer.ggml.tokens"];
        Assert.Equal(GgufValueType.String, tokens.ElementType);
        Assert.True(tokens.Count > 100, $"{tokens.Count} tokens");
        // per-token tables run parallel to the token list
        foreach (var key in new[] { "tokenizer.ggml.scores", "tokenizer.ggml.token_type" })
        {
            if (file.Metadata.TryGetValue(key, out var table))
                Assert.Equal(tokens.Count, table.Count);
        }
        if (file.Metadata.TryGetValue("tokenizer.ggml.merges", out var merges))
            Assert.All(merges.AsArray<string>().Take(50), m => Assert.Contains(' ', m));
    }

    [Theory]
    [MemberData(nameof(BuiltInNames))]
    public void Keys_and_strings_match_what_llama_cpp_reads(string name)
    {
        var path = Chorus.Llama.VocabularyFiles.Resolve(name);
        using var file = GgufFile.Open(path);
        using var model = LlamaModel.LoadVocabularyOnly(path);

        // llama.cpp's metadata view leaves arrays out; every other key must be there, and nothing more
        var scalarKeys = file.Metadata.Where(e => !e.Value.IsArray).Select(e => e.Key);
        Assert.Equal(model.Metadata.Keys.Order(StringComparer.Ordinal), scalarKeys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in file.Metadata.Where(e => e.Value.Type == GgufValueType.String))
            Assert.Equal(model.GetMetadata(key), value.AsString());
        Assert.Equal(model.Vocabulary.Count, file.Metadata["tokenizer.ggml.tokens"].Count);
        var tokens = file.Metadata["tokenizer.ggml.tokens"].AsArray<string>();
        foreach (var id in new[] { 0, 1, 2, 100, tokens.Length / 2, tokens.Length - 1 })
            Assert.Equal(model.Vocabulary.TokenText(id), tokens[id]);
    }
}
