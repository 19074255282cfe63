namespace Chorus.Fusion.Tests.Bytes;

public sealed class FixedShareWeightsTests
{
    // member 0 is the "first domain" expert (symbol 0 at 0.9), member 1 the second's (symbol 1 at 0.9)
    private static double[] LogProbs(int symbol) => symbol == 0 ? [Math.Log(0.9), Math.Log(0.1)] : [Math.Log(0.1), Math.Log(0.9)];

    private static (double AtSwitch, int SymbolsToFollow) Run(double rate)
    {
        var w = new FixedShareWeights(FixedShareWeights.Uniform(2), rate);
        for (var i = 0; i < 100; i++) w.Update(LogProbs(0));
        var atSwitch = w.Weights[0];
        for (var i = 1; i <= 200; i++)
        {
            w.Update(LogProbs(1));
            if (w.Weights[1] > 0.9) return (atSwitch, i);
        }
        return (atSwitch, int.MaxValue);
    }

    [Fact]
    public void Weights_move_to_the_member_with_the_lowest_loss_after_a_domain_switch()
    {
        var (atSwitch, follow) = Run(0.01);
        Assert.True(atSwitch > 0.98, $"before the switch the first expert should lead, got {atSwitch}");
        Assert.InRange(follow, 1, 5); // log((1−a)/a·…)/log 9: a few symbols
        var (_, bayes) = Run(0);
        Assert.True(bayes > 50, $"the plain Bayesian mixture (a = 0) must take about as long as the first domain lasted, took {bayes}");
    }

    [Fact]
    public void Update_is_the_fixed_share_formula()
    {
        var w = new FixedShareWeights([0.25, 0.75], 0.1);
        w.Update([Math.Log(0.8), Math.Log(0.2)]);
        var v0 = 0.25 * 0.8 / (0.25 * 0.8 + 0.75 * 0.2);
        Assert.Equal(0.9 * v0 + 0.05, w.Weights[0], 12);
        Assert.Equal(0.9 * (1 - v0) + 0.05, w.Weights[1], 12);
    }

    [Fact]
    public void A_member_that_gives_the_symbol_no_mass_keeps_only_its_share()
    {
        var w = new FixedShareWeights([0.5, 0.5], 0.02);
        w.Update([double.NegativeInfinity, Math.Log(0.3)]);
        Assert.Equal(0.01, w.Weights[0], 12);
        Assert.Equal(0.99, w.Weights[1], 12);
    }
}
