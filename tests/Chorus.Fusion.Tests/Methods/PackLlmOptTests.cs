using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

public class PackLlmOptTests
{
    /// <summary>Members with per-position logits on one shared tokenization; the log-probs follow from them.</summary>
    internal static (FusionMember[] Members, PromptEvidence[] Evidence, double[][][] Logits, int[] Tokens) Pack(Random random, int members, int vocabulary, int length)
    {
        var v = TestData.Vocabulary(vocabulary);
        var tokens = Enumerable.Range(0, length).Select(_ => random.Next(vocabulary)).ToArray();
        var logits = new double[members][][];
        var evidence = new PromptEvidence[members];
        var fusionMembers = new FusionMember[members];
        for (var k = 0; k < members; k++)
        {
            logits[k] = new double[length][];
            var positions = new TokenDistribution?[length];
            var logProbs = new float[length];
            logProbs[0] = float.NaN;
            for (var i = 1; i < length; i++)
            {
                // Member k is good at some tokens: it boosts the true token with probability depending on k.
                logits[k][i] = Enumerable.Range(0, vocabulary).Select(_ => random.NextDouble() * 4 - 2).ToArray();
                if (random.NextDouble() < 0.3 + 0.2 * k) logits[k][i][tokens[i]] += 3;
                var f = Array.ConvertAll(logits[k][i], x => (float)x);
                positions[i] = TokenDistribution.FromLogits(f);
                logProbs[i] = (float)Math.Log(TestData.Softmax(f)[tokens[i]]);
            }
            evidence[k] = new PromptEvidence(tokens, logProbs, Enumerable.Range(0, length).ToArray(), positions);
            fusionMembers[k] = TestData.Member(v, k == 0 ? MemberRole.Main : MemberRole.Expert, $"m{k}");
        }
        return (fusionMembers, evidence, logits, tokens);
    }

    /// <summary>The prompt loss of mixed logits, straight from the definition.</summary>
    internal static double MixtureLoss(double[][][] logits, int[] tokens, IReadOnlyList<double> lambda)
    {
        double total = 0;
        for (var i = 1; i < tokens.Length; i++)
        {
            var mixed = Enumerable.Range(0, logits[0][i].Length).Select(t => Enumerable.Range(0, lambda.Count).Sum(k => lambda[k] * logits[k][i][t])).ToArray();
            total -= Math.Log(TestData.Softmax(mixed)[tokens[i]]);
        }
        return total / (tokens.Length - 1);
    }

    [Fact]
    public void Greedy_weights_follow_the_grid_search_in_the_paper()
    {
        var (members, evidence, logits, tokens) = Pack(new Random(7), 3, 8, 12);
        // Reference: sort by own loss, grid μ ∈ {0, 0.05, …, 1} on μ·λ + (1−μ)·e_j, keep the best (μ = 1 on ties).
        var order = Enumerable.Range(0, 3).OrderBy(k => evidence[k].Loss).ToArray();
        var lambda = new double[3];
        lambda[order[0]] = 1;
        foreach (var j in order.Skip(1))
        {
            var (bestMu, bestLoss) = (1.0, MixtureLoss(logits, tokens, lambda));
            for (var g = 0; g <= 20; g++)
            {
                var mu = g / 20.0;
                var candidate = lambda.Select((l, k) => mu * l + (k == j ? 1 - mu : 0)).ToArray();
                var loss = MixtureLoss(logits, tokens, candidate);
                if (loss < bestLoss - 1e-12) (bestMu, bestLoss) = (mu, loss);
            }
            lambda = lambda.Select((l, k) => bestMu * l + (k == j ? 1 - bestMu : 0)).ToArray();
        }
        var session = TestData.Prepare("packllm-opt", members, evidence, TestData.P(("top-k", "0")));
        for (var k = 0; k < 3; k++) Assert.Equal(lambda[k], session.PreparedWeights[k], 4);
        Assert.True(lambda.Count(l => l > 0) >= 2, "the case should mix at least two members");
    }

    [Fact]
    public void Missing_position_distributions_are_named()
    {
        var (members, evidence, _, _) = Pack(new Random(1), 2, 6, 5);
        var bare = evidence.Select(e => new PromptEvidence([.. e.TokenIds], [.. e.LogProbs], [.. e.CharOffsets])).ToArray();
        var e = Assert.Throws<FusionPackException>(() => TestData.Prepare("packllm-opt", members, bare));
        Assert.Contains("per-position prompt distributions", e.Message);
    }
}
