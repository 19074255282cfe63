namespace Chorus.Fusion.Tests.Methods;

/// <summary>
/// <c>online</c> with <c>mix=logit</c>: PackLLM's logit mixture whose λ takes an exponentiated-gradient step on the
/// fused loss after each token, then a fixed share — against the formula, from PackLLM's prompt prior, and on a switch.
/// </summary>
public sealed class OnlineLogitTests
{
    private static readonly InMemoryVocabulary V = TestData.Vocabulary(4);
    private static readonly double[] Z0 = [3.0, 0.0, 0.5, 0.0];
    private static readonly double[] Z1 = [0.0, 3.0, 0.0, 1.0];

    private static PromptEvidence Evidence(params double[] logProbs) =>
        PromptEvidence.FromLogProbs(Enumerable.Range(0, logProbs.Length).ToArray(), Array.ConvertAll(logProbs, x => (float)x));

    private static double[] LogSoftmax(double[] z) => TestData.Softmax(z).Select(p => Math.Log(p)).ToArray();

    [Fact]
    public void Fuses_logits_with_the_current_weights_and_steps_along_the_fused_losss_gradient()
    {
        const double eta = 0.7, a = 0.1;
        var session = TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], [Evidence(double.NaN), Evidence(double.NaN)],
            TestData.P(("mix", "logit"), ("start", "uniform"), ("learning-rate", "0.7"), ("switching-rate", "0.1")));
        var (l0, l1) = (LogSoftmax(Z0), LogSoftmax(Z1));
        var fused = TestData.Softmax(Enumerable.Range(0, 4).Select(t => 0.5 * l0[t] + 0.5 * l1[t]).ToArray());
        var step = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
        TestData.Close(fused, step.LogProbs, 1e-5);

        session.Observe(1);
        // g_k = −(log p_k(1) − E_fused[log p_k]); λ_k ∝ ½ exp(−η g_k); then (1 − a) λ + a/2
        var e0 = Enumerable.Range(0, 4).Sum(t => fused[t] * l0[t]);
        var e1 = Enumerable.Range(0, 4).Sum(t => fused[t] * l1[t]);
        var (u0, u1) = (Math.Exp(eta * (l0[1] - e0)), Math.Exp(eta * (l1[1] - e1)));
        var w0 = (1 - a) * u0 / (u0 + u1) + a / 2;
        step = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]);
        Assert.Equal(w0, step.MemberWeights[0], 5);
        TestData.Close(TestData.Softmax(Enumerable.Range(0, 4).Select(t => w0 * l0[t] + (1 - w0) * l1[t]).ToArray()), step.LogProbs, 1e-5);
    }

    [Fact]
    public void Starts_from_packllm_sims_prompt_weights()
    {
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V) };
        var evidence = new[] { Evidence(double.NaN, -0.5, -0.7), Evidence(double.NaN, -1.5, -2.0) };
        var online = TestData.Prepare("online", members, evidence, TestData.P(("mix", "logit")));
        var packllm = TestData.Prepare("packllm-sim", members, evidence);
        var d = new[] { TestData.Full(Z0), TestData.Full(Z1) };
        var expected = packllm.Fuse(d);
        var step = online.Fuse(d);
        Assert.Equal(expected.MemberWeights[0], step.MemberWeights[0], 6);
        for (var t = 0; t < 4; t++) Assert.Equal(expected.LogProbs[t], step.LogProbs[t], 5);
    }

    [Fact]
    public void Weights_follow_a_domain_switch()
    {
        var session = TestData.Prepare("online", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], [Evidence(double.NaN), Evidence(double.NaN)],
            TestData.P(("mix", "logit"), ("start", "uniform"), ("learning-rate", "1")));
        float FuseAndObserve(int token)
        {
            var w = session.Fuse([TestData.Full(Z0), TestData.Full(Z1)]).MemberWeights[1];
            session.Observe(token);
            return w;
        }
        for (var i = 0; i < 30; i++) FuseAndObserve(0);
        Assert.True(FuseAndObserve(0) < 0.05f, "member 1 explains none of the first domain");
        var followed = -1;
        for (var i = 0; i < 40 && followed < 0; i++) if (FuseAndObserve(1) > 0.9f) followed = i;
        Assert.InRange(followed, 1, 15);
    }

    [Fact]
    public void An_online_scale_flattens_the_fusion_on_text_every_member_finds_unlikely()
    {
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V) };
        var parameters = TestData.P(("mix", "logit"), ("start", "uniform"), ("learning-rate", "0.5"), ("scale", "online"));
        var d = new[] { TestData.Full(Z0), TestData.Full(Z1) };
        var surprised = TestData.Prepare("online", members, [Evidence(double.NaN), Evidence(double.NaN)], parameters);
        var first = surprised.Fuse(d).LogProbs[2];
        for (var i = 0; i < 10; i++)
        {
            var step = surprised.Fuse(d);
            Assert.Equal(1.0, step.MemberWeights[0] + step.MemberWeights[1], 5); // reported as shares
            surprised.Observe(2); // token 2: both members give it less than their average log-prob under the fusion
        }
        Assert.True(surprised.Fuse(d).LogProbs[2] > first + 0.1, "a flatter fusion gives the surprising token more mass");
    }
}
