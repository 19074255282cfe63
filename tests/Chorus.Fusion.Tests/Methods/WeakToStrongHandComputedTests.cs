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
    public void Dlf_chooses_the_alpha_and_expert_whose_shift_matches_best()
    {
        var (lm, ls) = (LogSoftmax(Large), LogSoftmax(Small));
        var pm = TestData.Softmax(Large);
        var bestObjective = double.PositiveInfinity;
        double bestAlpha = 0;
        var bestExpert = -1;
        double[]? bestFused = null;
        foreach (var (expert, index) in new[] { (ExpertA, 1), (ExpertB, 2) })
        {
            var le = LogSoftmax(expert);
            var target = Kl(TestData.Softmax(expert), TestData.Softmax(Small));
            for (var g = 0; g <= 20; g++)
            {
                var alpha = g * 0.1;
                var fused = TestData.Softmax(Enumerable.Range(0, 6).Select(t => lm[t] + alpha * (le[t] - ls[t])).ToArray());
                var objective = Math.Pow(Kl(fused, pm) - target, 2);
                if (objective < bestObjective) (bestObjective, bestAlpha, bestExpert, bestFused) = (objective, alpha, index, fused);
            }
        }
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Expert), TestData.Member(V, MemberRole.Base) };
        var step = TestData.Prepare("dlf", members).Fuse([TestData.Full(Large), TestData.Full(ExpertA), TestData.Full(ExpertB), TestData.Full(Small)]);
        Assert.Equal(bestExpert, step.ChosenMember);
        Assert.Equal(bestAlpha, step.Alpha, 4);
        Assert.True(bestAlpha > 0, "the case should pick a non-trivial alpha");
        TestData.Close(bestFused!, step.LogProbs);
        Assert.Equal(bestObjective, step.Objective, 4);
    }
}
