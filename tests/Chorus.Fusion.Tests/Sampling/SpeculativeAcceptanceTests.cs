using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Sampling;

/// <summary>Speculative sampling's acceptance rule keeps the target (fused) distribution, whatever the drafter proposes.</summary>
public class SpeculativeAcceptanceTests
{
    private static float[] LogProbs(params double[] p) => p.Select(x => x > 0 ? (float)Math.Log(x) : float.NegativeInfinity).ToArray();

    [Theory]
    [InlineData(1.0f, 0f, 0)]
    [InlineData(0.8f, 0.9f, 0)]
    [InlineData(1.3f, 1f, 3)]
    public void Sampler_probabilities_are_the_law_of_its_draws(float temperature, float topP, int topK)
    {
        var lp = LogProbs(0.05, 0.4, 0.1, 0.25, 0.2);
        var sampler = new Sampler(new SamplerOptions { Temperature = temperature, TopP = topP, TopK = topK, Seed = 7 });
        var probabilities = new double[lp.Length];
        sampler.Probabilities(lp, probabilities);
        Assert.Equal(1.0, probabilities.Sum(), 9);
        var counts = new int[lp.Length];
        const int n = 40_000;
        for (var i = 0; i < n; i++) counts[sampler.Sample(lp)]++;
        AssertFollows(probabilities, counts, n);
    }

    [Fact]
    public void Accepted_or_resampled_tokens_follow_the_target_for_a_far_off_proposal()
    {
        // a 6-token vocabulary; the drafter puts most mass where the target puts little, and none on token 5
        var target = LogProbs(0.30, 0.05, 0.20, 0.10, 0.15, 0.20);
        var draft = LogProbs(0.05, 0.50, 0.05, 0.30, 0.10, 0);
        var acceptance = new SpeculativeAcceptance(new Sampler(new SamplerOptions { Temperature = 1, Seed = 2026 }));
        var q = new double[6];
        var p = new double[6];
        var scratch = new double[6];
        acceptance.Sampler.Probabilities(target, q);
        acceptance.Sampler.Probabilities(draft, p);
        var counts = new int[6];
        var accepted = 0;
        const int n = 60_000;
        for (var i = 0; i < n; i++)
        {
            var drafted = acceptance.Draw(p);
            Assert.NotEqual(5, drafted); // never proposed
            int token;
            if (acceptance.Accept(q, p, drafted)) { token = drafted; accepted++; }
            else token = acceptance.Resample(q, p, scratch);
            counts[token]++;
        }
        AssertFollows(q, counts, n);
        // the acceptance rate is Σ min(p, q) = 0.05 + 0.05 + 0.05 + 0.10 + 0.10 + 0 = 0.35
        Assert.InRange(accepted / (double)n, 0.35 - 0.01, 0.35 + 0.01);
    }

    [Fact]
    public void A_proposal_equal_to_the_target_is_always_accepted()
    {
        var lp = LogProbs(0.1, 0.6, 0.3);
        var acceptance = new SpeculativeAcceptance(new Sampler(new SamplerOptions { Temperature = 1, Seed = 3 }));
        var q = new double[3];
        acceptance.Sampler.Probabilities(lp, q);
        for (var i = 0; i < 1000; i++) Assert.True(acceptance.Accept(q, q, acceptance.Draw(q)));
    }

    [Fact]
    public void Greedy_probabilities_are_one_hot_on_the_arg_max()
    {
        var sampler = new Sampler(SamplerOptions.Greedy);
        var probabilities = new double[4];
        sampler.Probabilities(LogProbs(0.2, 0.1, 0.35, 0.35), probabilities);
        Assert.Equal([0, 0, 1, 0], probabilities);
        Assert.True(sampler.IsGreedy);
    }

    // Pearson's χ² against the expected counts; 1e-4 false-alarm level for up to 5 degrees of freedom (critical 25.7)
    private static void AssertFollows(double[] probabilities, int[] counts, int n)
    {
        double chi2 = 0;
        for (var t = 0; t < probabilities.Length; t++)
        {
            if (probabilities[t] == 0) { Assert.Equal(0, counts[t]); continue; }
            var expected = probabilities[t] * n;
            chi2 += (counts[t] - expected) * (counts[t] - expected) / expected;
        }
        Assert.True(chi2 < 25.7, $"χ² = {chi2:F1}: counts {string.Join(", ", counts)} do not follow {string.Join(", ", probabilities.Select(p => p.ToString("F3")))}");
    }
}
