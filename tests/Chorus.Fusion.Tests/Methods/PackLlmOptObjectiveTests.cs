using Chorus.Fusion;
using Xunit.Abstractions;

namespace Chorus.Fusion.Tests.Methods;

/// <summary>
/// packllm-opt's objective, the prompt loss of softmax(Σ λ_k z_k) (the reference mixes logits), against the
/// definition: exact with full prompt distributions, approximated with the cluster's top-k ones.
/// </summary>
public class PackLlmOptObjectiveTests(ITestOutputHelper output)
{
    private static (PreparedPack Pack, PromptMixtureLoss Loss) Loss(FusionMember[] members, PromptEvidence[] evidence, int support)
    {
        var method = FusionMethods.Create("packllm-opt", TestData.P(("top-k", "0"), ("support", support.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var pack = PreparedPack.Create(new FusionRequest { Members = members, Evidence = evidence }, "packllm-opt", method.Requirements);
        return (pack, new PromptMixtureLoss(pack, support));
    }

    /// <summary>The same evidence with each position cut to its top-k, as the cluster sends it.</summary>
    private static PromptEvidence[] TopK(PromptEvidence[] evidence, double[][][] logits, int k) =>
        [.. evidence.Select((e, m) => new PromptEvidence([.. e.TokenIds], [.. e.LogProbs], [.. e.CharOffsets],
            [.. Enumerable.Range(0, e.TokenIds.Count).Select(i => i == 0 ? null : TokenDistribution.TopK(Array.ConvertAll(logits[m][i], x => (float)x), k))]))];

    /// <summary>Every λ on the simplex with coordinates on the grid 0, 1/steps, …, 1.</summary>
    private static IEnumerable<double[]> Simplex(int members, int steps) =>
        Compositions(members, steps).Select(c => c.Select(x => (double)x / steps).ToArray());

    private static IEnumerable<int[]> Compositions(int parts, int total)
    {
        if (parts == 1) { yield return [total]; yield break; }
        for (var g = 0; g <= total; g++)
            foreach (var rest in Compositions(parts - 1, total - g)) yield return [g, .. rest];
    }

    private static (double[] Lambda, double Loss) GridMinimum(double[][][] logits, int[] tokens, int members)
    {
        var best = (Lambda: Array.Empty<double>(), Loss: double.PositiveInfinity);
        foreach (var lambda in Simplex(members, 20))
        {
            var loss = PackLlmOptTests.MixtureLoss(logits, tokens, lambda);
            if (loss < best.Loss - 1e-12) best = (lambda, loss);
        }
        return best;
    }

    private static double[] Greedy(FusionMember[] members, PromptEvidence[] evidence, int support)
    {
        var (pack, loss) = Loss(members, evidence, support);
        return [.. PackLlmOptMethod.Optimise(pack, loss, 21).Select(w => (double)w)];
    }

    /// <summary>The paper's greedy straight from its definition: members by prompt loss, μ on a 21-point grid of the
    /// exact mixed-logit prompt loss, ties kept at μ = 1.</summary>
    private static double[] BruteForceGreedy(PromptEvidence[] evidence, double[][][] logits, int[] tokens)
    {
        var order = Enumerable.Range(0, evidence.Length).OrderBy(k => evidence[k].Loss).ThenBy(k => k).ToArray();
        var lambda = new double[evidence.Length];
        lambda[order[0]] = 1;
        foreach (var j in order.Skip(1))
        {
            var (bestMu, bestLoss) = (1.0, PackLlmOptTests.MixtureLoss(logits, tokens, lambda));
            for (var g = 0; g <= 20; g++)
            {
                var candidate = lambda.Select((l, k) => g / 20.0 * l + (k == j ? 1 - g / 20.0 : 0)).ToArray();
                var loss = PackLlmOptTests.MixtureLoss(logits, tokens, candidate);
                if (loss < bestLoss - 1e-12) (bestMu, bestLoss) = (g / 20.0, loss);
            }
            lambda = [.. lambda.Select((l, k) => bestMu * l + (k == j ? 1 - bestMu : 0))];
        }
        return lambda;
    }

    [Fact]
    public void Default_objective_equals_brute_force_on_a_256_token_vocabulary()
    {
        // The method as a request gets it: default parameters, prompt positions cut to the support it asks the cluster
        // for. The old default (support 64, a flat tail) differed from the exact optimum in 31 of 40 such trials.
        const int Trials = 12;
        var method = FusionMethods.Create("packllm-opt", null);
        for (var trial = 0; trial < Trials; trial++)
        {
            var (members, evidence, logits, tokens) = PackLlmOptTests.Pack(new Random(2000 + trial), 2, 256, 32);
            var sent = TopK(evidence, logits, method.Requirements.PromptPositionsTopK);
            var session = method.Prepare(new FusionRequest { Members = members, Evidence = sent });
            var expected = BruteForceGreedy(evidence, logits, tokens);
            for (var k = 0; k < 2; k++)
                Assert.True(Math.Abs(expected[k] - session.PreparedWeights[k]) < 1e-4,
                    $"trial {trial}: λ = [{string.Join(", ", session.PreparedWeights.ToArray())}], brute force [{string.Join(", ", expected)}]");
        }
    }

    [Fact]
    public void Beyond_the_default_support_the_flat_tail_moves_lambda_little()
    {
        // Vocabularies of 32,768 (above the default support of 8,192): top-8,192 positions against the exact loss. These
        // logits are flat (three quarters of the mass lies outside the top 8,192), a hard case for the flat tail.
        const int Trials = 4, Vocabulary = 32768;
        double largest = 0, excess = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var (members, evidence, logits, _) = PackLlmOptTests.Pack(new Random(3000 + trial), 2, Vocabulary, 24);
            var (_, exactLoss) = Loss(members, evidence, Vocabulary);
            var exact = Greedy(members, evidence, Vocabulary);
            var approximated = Greedy(members, TopK(evidence, logits, PackLlmOptMethod.DefaultSupport), PackLlmOptMethod.DefaultSupport);
            largest = Math.Max(largest, Math.Abs(exact[0] - approximated[0]));
            excess += exactLoss.Evaluate(approximated) - exactLoss.Evaluate(exact);
        }
        output.WriteLine($"|V| {Vocabulary}, support {PackLlmOptMethod.DefaultSupport}: largest |Δλ| {largest:F3}, mean excess loss {excess / Trials:E2} nats");
        Assert.True(largest <= 0.15, $"top-{PackLlmOptMethod.DefaultSupport} λ is {largest} from the exact optimum");
    }

    [Fact]
    public void Exact_loss_equals_a_hand_computed_value()
    {
        // Two members, vocabulary 3, prompt tokens [0, 2, 1]; λ = (0.25, 0.75).
        var v = TestData.Vocabulary(3);
        var members = new[] { TestData.Member(v, MemberRole.Main, "a"), TestData.Member(v, MemberRole.Expert, "b") };
        double[][] za = [[], [1, 0, 2], [0, 3, 0]];
        double[][] zb = [[], [0, 1, 0], [2, 2, -1]];
        int[] tokens = [0, 2, 1];
        PromptEvidence Evidence(double[][] z) => new(tokens,
            [float.NaN, (float)Math.Log(TestData.Softmax(z[1])[2]), (float)Math.Log(TestData.Softmax(z[2])[1])], [0, 1, 2],
            [null, TestData.Full(z[1]), TestData.Full(z[2])]);
        var (_, loss) = Loss(members, [Evidence(za), Evidence(zb)], 3);
        // Position 1: mixed logits (0.25, 0.75, 0.5), target 2; position 2: (1.5, 2.25, -0.75), target 1.
        var p1 = 0.5 - Math.Log(Math.Exp(0.25) + Math.Exp(0.75) + Math.Exp(0.5));
        var p2 = 2.25 - Math.Log(Math.Exp(1.5) + Math.Exp(2.25) + Math.Exp(-0.75));
        Assert.Equal(-(p1 + p2) / 2, loss.Evaluate([0.25, 0.75]), 6);
    }

    [Fact]
    public void Support_sets_the_prompt_top_k_the_cluster_collects()
    {
        Assert.Equal(8192, FusionMethods.Create("packllm-opt", null).Requirements.PromptPositionsTopK);
        Assert.Equal(64, FusionMethods.Create("packllm-opt", TestData.P(("support", "64"))).Requirements.PromptPositionsTopK);
        Assert.Equal(8192, FusionMethods.Create("packllm-opt", TestData.P(("support", "8192"))).Requirements.PromptPositionsTopK);
        Assert.Equal(0, FusionMethods.Create("packllm-sim", null).Requirements.PromptPositionsTopK);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Greedy_on_the_exact_loss_reaches_the_grid_minimum(int count)
    {
        const int Trials = 100;
        var equal = 0;
        var gaps = new List<double>();
        for (var trial = 0; trial < Trials; trial++)
        {
            var (members, evidence, logits, tokens) = PackLlmOptTests.Pack(new Random(1000 + trial), count, 48, 24);
            var greedy = Greedy(members, evidence, 48);
            var (grid, gridLoss) = GridMinimum(logits, tokens, count);
            if (greedy.Zip(grid).All(p => Math.Abs(p.First - p.Second) < 1e-4)) equal++;
            gaps.Add(PackLlmOptTests.MixtureLoss(logits, tokens, greedy) - gridLoss);
        }
        output.WriteLine($"{count} members: greedy λ = grid argmin in {equal}/{Trials}; loss gap mean {gaps.Average():E2}, max {gaps.Max():E2}, min {gaps.Min():E2}");
        if (count == 2) Assert.Equal(Trials, equal); // two members: the greedy's μ grid is the simplex grid
        Assert.True(gaps.Max() < 5e-3, $"greedy loss exceeds the grid minimum by {gaps.Max()}");
    }

    [Fact]
    public void Top_k_prompt_distributions_against_the_exact_optimum()
    {
        // 40 seeded trials, 2 members, vocabulary 256, cluster-like top-64 prompt positions.
        const int Trials = 40;
        int differ = 0, moreOneHot = 0;
        double largest = 0, excess = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var (members, evidence, logits, tokens) = PackLlmOptTests.Pack(new Random(2000 + trial), 2, 256, 32);
            var exact = Greedy(members, evidence, 256);
            var approximated = Greedy(members, TopK(evidence, logits, 64), 64);
            var delta = Math.Abs(exact[0] - approximated[0]);
            if (delta > 1e-4) differ++;
            if (delta > 1e-4 && approximated.Max() > exact.Max()) moreOneHot++;
            largest = Math.Max(largest, delta);
            excess += PackLlmOptTests.MixtureLoss(logits, tokens, approximated) - PackLlmOptTests.MixtureLoss(logits, tokens, exact);
        }
        output.WriteLine($"top-64: λ differs from the exact optimum in {differ}/{Trials} (more one-hot {moreOneHot}), largest |Δλ| {largest:F2}, mean excess loss {excess / Trials:E2}");
        Assert.True(excess / Trials < 0.05, $"top-64 λ costs {excess / Trials} nats over the exact optimum");
    }
}
