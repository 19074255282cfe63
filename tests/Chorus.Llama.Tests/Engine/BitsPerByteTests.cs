using System.Text;

namespace Chorus.Llama.Tests.Engine;

[Collection(SyntheticModelCollection.Name)]
public sealed class BitsPerByteTests(SyntheticModelFixture models)
{
    private const string Text = "Bits per byte: naïve café, déjà vu — the same text in any vocabulary.";

    [Fact]
    public void Bits_per_byte_is_total_nll_in_bits_over_bytes()
    {
        // 3 tokens of 2 nats each over 12 bytes: 6 / ln 2 / 12 bits per byte
        Assert.Equal(6 / Math.Log(2) / 12, ByteLoss.BitsPerByte(6.0, 12), 12);
        Assert.Equal(6 / Math.Log(2) / 12, ByteLoss.BitsPerByte(2.0, 3, 12), 12);
        Assert.True(double.IsNaN(ByteLoss.BitsPerByte(1.0, 0)));
        Assert.True(double.IsPositiveInfinity(ByteLoss.BitsPerByte(double.PositiveInfinity, 4)));
        Assert.Equal(Encoding.UTF8.GetByteCount("café!"), ByteLoss.Utf8Bytes("naïve café!", 6));
    }

    [Fact]
    public void Text_scorer_bits_per_byte_is_the_scored_tokens_nll_in_bits_over_the_texts_bytes()
    {
        using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 256 });
        var score = TextScorer.Score(runner, Text);

        Assert.True(models.Spm.Vocabulary.AddsBos); // BOS is the unscored first token: every byte of the text is scored
        var bytes = Encoding.UTF8.GetByteCount(Text);
        Assert.Equal(bytes, score.ScoredBytes);
        var nll = -score.TokenLogProbs.Skip(1).Sum(p => (double)p);
        Assert.Equal(nll / Math.Log(2) / bytes, score.BitsPerByte, 9);
        Assert.Equal(Math.Log(score.Perplexity) * score.ScoredTokens / Math.Log(2) / bytes, score.BitsPerByte, 9);
    }
}
