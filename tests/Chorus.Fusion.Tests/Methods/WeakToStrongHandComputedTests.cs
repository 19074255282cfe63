using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

public class WeakToStrongHandComputedTests
{
    private static readonly InMemoryVocabulary V = TestData.Vocabulary(6);
    private static readonly double[] Large = [2.0, 1.5, 0.0, -1.0, 0.5, 0.0];
    private static readonly double[] Small = [1.0, 1.0, 0.5, 0.0, 0.0, -0.5];
    private static readonly double[] ExpertA = [0.0, 2.5, 0.5, 0.0, 0.0, -0.5];
    private static readonly double[] ExpertB = [1.0, 1.0, 0.5, 0.0, 3.0, -0.5];

    private static double[] LogSoftmax(double[] z)
    {
        var p = TestData.Softmax(z);
        return p.Select(x => Math.Log(x)).ToArray();
    }

    private static double Kl(double[] p, double[] q) => p.Select((pi, i) => pi * (Math.Log(pi) - Math.Log(q[i]))).Sum();

    [Fact]
    public void Proxy_tuning_adds_alpha_times_the_expert_shift()
    {
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Base) };
        var step = TestData.Prepare("proxy-tuning", members, parameters: TestData.P(("alpha", "0.7")))
            .Fuse([TestData.Full(Large), TestData.Full(ExpertA), TestData.Full(Small)]);
        var expected = TestData.Softmax(Enumerable.Range(0, 6).Select(t => Large[t] + 0.7 * (ExpertA[t] - Small[t])).ToArray());
        TestData.Close(expected, step.LogProbs);
        Assert.Equal(0.7f, step.Alpha, 5);
    }

    [Fact]
    public void DExperts_subtracts_the_anti_expert()
    {
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V, MemberRole.AntiExpert), TestData.Member(V, MemberRole.Expert) };
        var step = TestData.Prepare("proxy-tuning", members).Fuse([TestData.Full(Large), TestData.Full(ExpertB), TestData.Full(ExpertA)]);
        TestData.Close(TestData.Softmax(Enumerable.Range(0, 6).Select(t => Large[t] + (ExpertA[t] - ExpertB[t])).ToArray()), step.LogProbs);
    }

    [Fact]
    public void Dlf_chooses_the_alphas_that_minimise_the_joint_objective()
    {
        var (lm, ls) = (LogSoftmax(Large), LogSoftmax(Small));
        var pm = TestData.Softmax(Large);
        var (la, lb) = (LogSoftmax(ExpertA), LogSoftmax(ExpertB));
        var targets = new[] { Kl(TestData.Softmax(ExpertA), TestData.Softmax(Small)), Kl(TestData.Softmax(ExpertB), TestData.Softmax(Small)) };
        var bestObjective = double.PositiveInfinity;
        double bestA = 0, bestB = 0;
        double[]? bestFused = null;
        for (var ga = 0; ga <= 20; ga++)
        {
            for (var gb = 0; gb <= 20; gb++)
            {
                var (a, b) = (ga * 0.1, gb * 0.1);
                var fused = TestData.Softmax(Enumerable.Range(0, 6).Select(t => lm[t] + a * (la[t] - ls[t]) + b * (lb[t] - ls[t])).ToArray());
                var kl = Kl(fused, pm);
                var objective = targets.Sum(target => Math.Pow(kl - target, 2));
                if (objective < bestObjective) (bestObjective, bestA, bestB, bestFused) = (objective, a, b, fused);
            }
        }
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Base) };
        var step = TestData.Prepare("dlf", members).Fuse([TestData.Full(Large), TestData.Full(ExpertA), TestData.Full(ExpertB), TestData.Full(Small)]);
        Assert.Equal(bestA, step.MemberWeights[1], 4);
        Assert.Equal(bestB, step.MemberWeights[2], 4);
        Assert.Equal(-(bestA + bestB), step.MemberWeights[3], 4);
        Assert.Equal(bestA + bestB, step.Alpha, 4);
        Assert.True(bestA + bestB > 0, "the case should pick a non-trivial alpha");
        TestData.Close(bestFused!, step.LogProbs);
        Assert.Equal(bestObjective, step.Objective, 4);
    }
}
