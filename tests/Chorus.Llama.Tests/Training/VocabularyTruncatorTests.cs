using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;

namespace Chorus.Llama.Tests.Training;

public sealed class VocabularyTruncatorTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "test-models", "vocab");

    [Fact]
    public void Spm8kKeepsTheWordBoundaryPieceAndTheSpecialTokens()
    {
        var path = Path.Combine(Directory, "spm8k.gguf");
        var written = VocabularyTruncator.Write("llama-spm", 8192, path);

        Assert.Equal(32000, written.SourceSize);
        Assert.Equal(8191, written.MovedTokens["▁"]);
        using var file = GgufFile.Open(path);
        var tokens = file.Metadata["tokenizer.ggml.tokens"].AsArray<string>();
        Assert.Equal(8192, tokens.Length);
        Assert.Equal(["<unk>", "<s>", "</s>"], tokens[..3]);
        Assert.Equal("▁", tokens[8191]);
        Assert.Equal(8192, file.Metadata["tokenizer.ggml.scores"].Count);
        Assert.Equal(1L, file.Metadata["tokenizer.ggml.bos_token_id"].AsInt64());
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Gpt2With8kIdsKeepsTheFirstMergesAndMovesEndOfText()
    {
        var path = Path.Combine(Directory, "gpt2-8k.gguf");
        var written = VocabularyTruncator.Write("gpt-2", 8192, path);

        Assert.Equal(8192 - 1 - 256, written.MergeCount);
        using var file = GgufFile.Open(path);
        var tokens = file.Metadata["tokenizer.ggml.tokens"].AsArray<string>();
        Assert.Equal("<|endoftext|>", tokens[8191]);
        Assert.Equal(8191L, file.Metadata["tokenizer.ggml.eos_token_id"].AsInt64());
        Assert.Equal(3, file.Metadata["tokenizer.ggml.token_type"].AsArray<int>()[8191]);
        using var source = GgufFile.Open(VocabularyFiles.Resolve("gpt-2"));
        Assert.Equal(source.Metadata["tokenizer.ggml.merges"].AsArray<string>()[..written.MergeCount], file.Metadata["tokenizer.ggml.merges"].AsArray<string>());
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("gpt-2")]
    public void TruncatedVocabulariesRoundTripEveryCorpusTestSplit(string source)
    {
        var path = Path.Combine(Directory, $"{source}-8k-roundtrip.gguf");
        VocabularyTruncator.Write(source, 8192, path);
        using var vocabulary = LlamaModel.LoadVocabularyOnly(path);
        Assert.Equal(8192, vocabulary.Vocabulary.Count);
        foreach (var domain in Corpora.Domains)
        {
            var text = File.ReadAllText(Corpora.TestSplit(domain));
            var ids = vocabulary.Vocabulary.Tokenize(text);
            Assert.All(ids, id => Assert.InRange(id, 0, 8191));
            // a lost "▁" or merge would show up as a literal piece or a changed byte in the text
            // pieces, concatenated: llama_detokenize would also "clean" gpt-2's " ," into "," — a choice, not a loss
            var back = Pieces(vocabulary.Vocabulary, ids);
            if (back.Length == text.Length + 1 && back[0] == ' ') back = back[1..]; // SPM's space prefix
            var at = FirstDifference(text, back);
            Assert.True(at < 0, $"{source}-8k does not round-trip the {domain} test split at {at}: '{Around(text, at)}' became '{Around(back, at)}'");
        }
    }

    private static string Pieces(LlamaVocabulary vocabulary, int[] ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids) bytes.AddRange(vocabulary.TokenBytes(id));
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static int FirstDifference(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i]) return i;
        }
        return a.Length == b.Length ? -1 : n;
    }

    private static string Around(string s, int at) => s.Substring(Math.Max(0, at - 20), Math.Min(40, s.Length - Math.Max(0, at - 20)));

    [Fact]
    public void ASizeBeyondTheSourceIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => VocabularyTruncator.Write("llama-spm", 40000, Path.Combine(Directory, "too-big.gguf")));
        Assert.Contains("32000", e.Message, StringComparison.Ordinal);
    }
}
