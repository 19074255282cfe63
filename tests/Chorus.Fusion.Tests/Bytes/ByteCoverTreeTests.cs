using System.Text;

namespace Chorus.Fusion.Tests.Bytes;

/// <summary>
/// The byte-level conversion against brute force on a toy tokenized model: the product of next-byte probabilities is the
/// model's own probability of the text (the sum over every tokenization that covers it), the "end" symbol is the
/// probability that the text is complete, the pruning bound holds, and every branch's sequence is freed exactly once.
/// </summary>
public sealed class ByteCoverTreeTests
{
    public static TheoryData<string, int> Texts => new()
    {
        { "abab", 1 }, { "ab ba", 2 }, { "bba b", 3 }, { "aé", 4 }, { "b ab a", 5 }, { "ababab", 6 }, { " a b", 7 },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Product_of_next_byte_probabilities_is_the_sum_over_tokenizations(string text, int seed)
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, seed);
        var bytes = Encoding.UTF8.GetBytes(text);
        var run = new ToyTreeRun(model, BytePruning.Exact);
        var byteLevel = run.Feed(bytes);
        var tokenLevel = BruteForce.PrefixLogProb(model, bytes);
        Assert.Equal(tokenLevel, byteLevel, 1e-9);
        Assert.Equal(0, run.Tree.Slack);
        Assert.True(run.Tree.PeakBranches > 1, "the toy text should keep several tokenizations alive");
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void End_symbol_is_the_probability_that_the_text_is_complete(string text, int seed)
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, seed);
        var bytes = Encoding.UTF8.GetBytes(text);
        var run = new ToyTreeRun(model, BytePruning.Exact);
        var prefix = run.Feed(bytes);
        var complete = prefix + run.LastLogProbs[ByteDistribution.End];
        Assert.Equal(BruteForce.CompleteLogProb(model, bytes), complete, 1e-9);
        double total = 0;
        foreach (var lp in run.LastLogProbs) total += Math.Exp(lp);
        Assert.Equal(1.0, total, 12);
    }

    [Theory]
    [InlineData(0.05, 2, 11)]
    [InlineData(0.2, 3, 12)]
    [InlineData(0.01, 1, 13)]
    [InlineData(0.3, 8, 14)]
    public void Pruning_bound_holds(double threshold, int maxBranches, int seed)
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, seed);
        var pruned = 0;
        foreach (var text in new[] { "abab ba", "bbab aba", "ab ab ab", "baba b" })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var run = new ToyTreeRun(model, new BytePruning(threshold, maxBranches));
            var byteLevel = run.Feed(bytes);
            var exact = BruteForce.PrefixLogProb(model, bytes);
            var t = run.Tree;
            var lower = t.Slack - Math.Log(1 + Math.Exp(t.LogDropped - t.LogPrefixMass));
            Assert.InRange(byteLevel - exact, lower - 1e-9, t.Slack + 1e-9);
            Assert.True(t.PeakBranches <= maxBranches);
            if (t.Slack > 0) pruned++;
        }
        Assert.True(pruned > 0, "the settings should drop some mass, or the bound is not exercised");
    }

    [Fact]
    public void Every_sequence_is_freed_exactly_once_and_forks_stay_within_the_bound()
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, 21);
        var run = new ToyTreeRun(model, new BytePruning(1e-3, 3));
        run.Feed(Encoding.UTF8.GetBytes("abba ab baab a"));
        Assert.True(run.Forks > 0);
        Assert.InRange(run.LiveHandles.Count, 1, 3); // ToyTreeRun asserted after every byte that live handles = branches
    }

    [Fact]
    public void A_byte_no_token_covers_cannot_be_observed()
    {
        var model = new ToyTokenModel(["a", "b"], 1);
        var run = new ToyTreeRun(model, BytePruning.Exact);
        var lp = new double[ByteDistribution.Symbols];
        Assert.True(run.Tree.NextByte(lp));
        Assert.True(double.IsNegativeInfinity(lp['c']));
        Assert.Throws<InvalidOperationException>(() => run.Tree.Observe((byte)'c'));
    }

    [Fact]
    public void Table_ranges_find_tokens_by_prefix()
    {
        var model = new ToyTokenModel(ToyTokenModel.AbPieces, 1);
        var table = model.Table;
        var (lo, hi) = table.Narrow(0, table.SortedCount, 0, (byte)'a');
        var starting = Enumerable.Range(lo, hi - lo).Select(i => Encoding.UTF8.GetString(model.Piece(table.SortedToken(i)))).ToArray();
        Assert.Equal(["a", "ab", "aba"], starting);
        Assert.Equal(1, table.ExactAtStart(lo, hi, 1));
        var (lo2, hi2) = table.Narrow(lo, hi, 1, (byte)'b');
        Assert.Equal(2, hi2 - lo2);
        Assert.Equal(3, table.MaxTokenBytes);
        Assert.Equal([model.End], table.EndTokens.ToArray());
    }
}
