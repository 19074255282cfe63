using System.Text;

namespace Chorus.Fusion.Tests.Bytes;

/// <summary>
/// Byte-level exactness with zero-byte control tokens that do not end generation — a BOS that is not the EOS (as in
/// SentencePiece vocabularies: &lt;s&gt; and &lt;/s&gt;), padding, unknown. They spell nothing, so no cover holds one;
/// the mass a model gives them after a prefix is left unspent (as a token-level score leaves it), not renormalised away.
/// </summary>
public sealed class ByteControlTokenTests
{
    [Theory]
    [InlineData("abab", 31)]
    [InlineData("ab ba", 32)]
    [InlineData(" a b", 33)]
    public void A_bos_that_is_not_the_eos_keeps_the_product_exact(string text, int seed)
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, seed, controlTokens: 1); // BOS ≠ EOS
        Assert.NotEqual(model.End, model.Count - 2);
        var bytes = Encoding.UTF8.GetBytes(text);
        var run = new ToyTreeRun(model, BytePruning.Exact);
        Assert.Equal(BruteForce.PrefixLogProb(model, bytes), run.Feed(bytes), 1e-9);
    }

    [Theory]
    [InlineData("abab", 41)]
    [InlineData("bba b", 42)]
    [InlineData("aé", 43)]
    public void Zero_byte_control_tokens_keep_the_product_and_the_end_symbol_exact(string text, int seed)
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, seed, controlTokens: 3); // BOS, padding, unknown
        var bytes = Encoding.UTF8.GetBytes(text);
        var run = new ToyTreeRun(model, BytePruning.Exact);
        var prefix = run.Feed(bytes);
        Assert.Equal(BruteForce.PrefixLogProb(model, bytes), prefix, 1e-9);
        Assert.Equal(BruteForce.CompleteLogProb(model, bytes), prefix + run.LastLogProbs[ByteDistribution.End], 1e-9);
    }

    [Fact]
    public void The_next_byte_probabilities_leave_the_control_tokens_mass_unspent()
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, 51, controlTokens: 3);
        var tree = new ByteCoverTree(model.Table, BytePruning.Exact);
        var first = model.Next([]);
        tree.Start(first, null);
        var lp = new double[ByteDistribution.Symbols];
        Assert.True(tree.NextByte(lp));
        // at the root (one branch at a token boundary) the bytes and "end" carry exactly what the control tokens do not
        double controls = 0;
        for (var v = model.Count - 4; v < model.Count - 1; v++) controls += Math.Exp(model.LogProb([], v));
        Assert.InRange(controls, 0.05, 0.6); // the toy gives them real mass, so a renormalisation would show
        Assert.Equal(1 - controls, lp.Sum(Math.Exp), 12);
    }
}
