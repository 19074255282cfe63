using System.Text;

namespace Chorus.Llama.Tests.Engine;

/// <summary>Streaming detokenization never emits half a character.</summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class Utf8TokenDecoderTests(SyntheticModelFixture models)
{
    [Theory]
    [InlineData("héllo wörld — 🦙 日本語 ü")]
    [InlineData("emoji 🎉🎉 and math ∑∫ and ✓")]
    public void Streamed_text_equals_the_whole_text_and_no_piece_is_broken(string text)
    {
        foreach (var model in new[] { models.Spm, models.Gpt2 })
        {
            var ids = model.Vocabulary.Tokenize(text);
            var decoder = new Utf8TokenDecoder(model.Vocabulary);
            var streamed = new StringBuilder();
            foreach (var id in ids)
            {
                var piece = decoder.Append(id);
                Assert.DoesNotContain('\uFFFD', piece);
                foreach (var c in piece) Assert.False(char.IsSurrogate(c) && !IsPairedIn(piece, c), "lone surrogate emitted");
                streamed.Append(piece);
            }
            streamed.Append(decoder.Flush());
            var allBytes = ids.SelectMany(id => model.Vocabulary.TokenBytes(id)).ToArray();
            Assert.Equal(Encoding.UTF8.GetString(allBytes), streamed.ToString());
            Assert.Equal(text, streamed.ToString().TrimStart(' ')); // spm pieces carry the word-boundary space
        }
    }

    [Fact]
    public void Byte_tokens_of_one_character_are_held_back_until_it_completes()
    {
        // "🦙" is 4 UTF-8 bytes; llama-spm spells it with byte-fallback tokens <0xF0><0x9F><0xA6><0x99>
        var vocab = models.Spm.Vocabulary;
        var ids = vocab.Tokenize("🦙");
        var byteTokens = ids.Where(id => vocab.TokenText(id).StartsWith("<0x", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, byteTokens.Length);
        var decoder = new Utf8TokenDecoder(vocab);
        Assert.Equal("", decoder.Append(byteTokens[0]));
        Assert.Equal("", decoder.Append(byteTokens[1]));
        Assert.Equal("", decoder.Append(byteTokens[2]));
        Assert.Equal("🦙", decoder.Append(byteTokens[3]));
    }

    [Fact]
    public void An_unfinished_character_is_flushed_as_a_replacement_character()
    {
        var vocab = models.Spm.Vocabulary;
        var first = vocab.Tokenize("🦙").First(id => vocab.TokenText(id) == "<0xF0>");
        var decoder = new Utf8TokenDecoder(vocab);
        Assert.Equal("", decoder.Append(first));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    private static bool IsPairedIn(string s, char c)
    {
        var i = s.IndexOf(c);
        return char.IsHighSurrogate(c) ? i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) : i > 0 && char.IsHighSurrogate(s[i - 1]);
    }
}
