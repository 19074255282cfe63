namespace Chorus.Fusion.Tests.Methods;

/// <summary>Method <c>online</c> (fixed share per token over one vocabulary), against the formula and on a domain switch.</summary>
public sealed class OnlineMethodTests
{
    private static readonly InMemoryVocabulary V = TestData.Vocabulary(4);

    // member 0 favours token 0, member 1 token 1
    private static readonly double[] Z0 = [3.0, 0.0, 0.0, 0.0];
    private static readonly double[] Z1 = [0.0, 3.0, 0.0, 0.0];

    private static PromptEvidence Evidence(params double[] logProbs) =>
        PromptEvidence.FromLogProbs(Enumerable.Range(0, logProbs.Length).ToArray(), Array.ConvertAll(logProbs, x => (float)x));

    [Fact]
    public void Fuses_with_the_current_weights_and_updates_them_by_fixed_share()
    {
        var session = TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(V)],
            [Evidence(double.NaN), Evidence(double.NaN)], TestData.P(("switching-rate", "0.1")));
        var step = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
        var (p0, p1) = (TestData.Softmax(Z0), TestData.Softmax(Z1));
        TestData.Close(Enumerable.Range(0, 4).Select(t => 0.5 * p0[t] + 0.5 * p1[t]).ToArray(), step.LogProbs);
        session.Observe(1);
        var v0 = p0[1] / (p0[1] + p1[1]);
        var w0 = 0.9 * v0 + 0.05;
        step = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
        Assert.Equal(w0, step.MemberWeights[0], 5);
        TestData.Close(Enumerable.Range(0, 4).Select(t => w0 * p0[t] + (1 - w0) * p1[t]).ToArray(), step.LogProbs);
    }

    [Fact]
    public void Prompt_tokens_set_the_starting_weights()
    {
        var session = TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(V)],
            [Evidence(double.NaN, -0.1, -0.2), Evidence(double.NaN, -2.0, -3.0)]);
        var step = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
        Assert.True(step.MemberWeights[0] > 0.9, $"the member that explained the prompt should lead, got {step.MemberWeights[0]}");
    }

    [Fact]
    public void Weights_follow_a_domain_switch_where_prompt_weights_cannot()
    {
        var session = TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], [Evidence(double.NaN), Evidence(double.NaN)]);
        float FuseAndObserve(int token)
        {
            var s = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
            var w = s.MemberWeights[1];
            session.Observe(token);
            return w;
        }
        for (var i = 0; i < 40; i++)
        {
            var w1 = FuseAndObserve(0);
            if (i >= 3) Assert.True(w1 < 0.05f, $"token {i} of the first domain: member 1 still has {w1}");
        }
        var followed = -1;
        for (var i = 0; i < 40 && followed < 0; i++) if (FuseAndObserve(1) > 0.9f) followed = i;
        Assert.InRange(followed, 1, 6);
    }

    [Fact]
    public void Refuses_members_of_different_vocabularies()
    {
        var other = TestData.Vocabulary(4, "u");
        Assert.Throws<FusionPackException>(() => TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(other)], [Evidence(double.NaN), Evidence(double.NaN)]));
    }
}
