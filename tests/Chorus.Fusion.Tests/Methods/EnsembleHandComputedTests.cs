using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

/// <summary>Small cases whose expected outputs the test derives from the formulas in ALGORITHMS.md.</summary>
public class EnsembleHandComputedTests
{
    private static readonly InMemoryVocabulary V = TestData.Vocabulary(5);
    private static readonly double[] Z1 = [2.0, 1.0, 0.0, -1.0, 0.5];
    private static readonly double[] Z2 = [0.0, 3.0, 1.0, 0.0, -2.0];
    private static readonly double[] Z3 = [1.0, 1.0, 1.0, 4.0, 0.0];

    private static PromptEvidence Evidence(params double[] logProbs) =>
        PromptEvidence.FromLogProbs(Enumerable.Range(0, logProbs.Length).ToArray(), Array.ConvertAll(logProbs, x => (float)x));

    [Fact]
    public void Single_is_the_main_members_softmax()
    {
        var session = TestData.Prepare("single", [TestData.Member(V), TestData.Member(V, MemberRole.Main)]);
        var step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]);
        TestData.Close(TestData.Softmax(Z2), step.LogProbs);
        Assert.Equal(1, step.ChosenMember);
    }

    [Fact]
    public void Uniform_averages_probabilities()
    {
        var session = TestData.Prepare("uniform", [TestData.Member(V, MemberRole.Main), TestData.Member(V), TestData.Member(V)]);
        var step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2), TestData.Full(Z3)]);
        var (p1, p2, p3) = (TestData.Softmax(Z1), TestData.Softmax(Z2), TestData.Softmax(Z3));
        TestData.Close(Enumerable.Range(0, 5).Select(t => (p1[t] + p2[t] + p3[t]) / 3).ToArray(), step.LogProbs);
        Assert.Equal([1 / 3f, 1 / 3f, 1 / 3f], step.MemberWeights.ToArray());
    }

    [Fact]
    public void Uniform_with_weights_is_the_weighted_average()
    {
        var session = TestData.Prepare("uniform", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], parameters: TestData.P(("weights", "0.25,0.75")));
        var step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]);
        var (p1, p2) = (TestData.Softmax(Z1), TestData.Softmax(Z2));
        TestData.Close(Enumerable.Range(0, 5).Select(t => 0.25 * p1[t] + 0.75 * p2[t]).ToArray(), step.LogProbs);
    }

    [Fact]
    public void Top1_ppl_takes_the_member_with_the_lowest_mean_prompt_loss()
    {
        // Losses: member 0: (1.0 + 2.0) / 2 = 1.5; member 1: (0.5 + 1.0 + 1.2) / 3 = 0.9 → member 1.
        var evidence = new[] { Evidence(double.NaN, -1.0, -2.0), Evidence(double.NaN, -0.5, -1.0, -1.2) };
        var session = TestData.Prepare("top1-ppl", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], evidence);
        var step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]);
        Assert.Equal(1, step.ChosenMember);
        TestData.Close(TestData.Softmax(Z2), step.LogProbs);
    }

    [Fact]
    public void Largest_takes_the_member_with_most_parameters()
    {
        var members = new[]
        {
            TestData.Member(V, MemberRole.Main) with { ParameterCount = 1_000 },
            TestData.Member(V) with { ParameterCount = 7_000 },
            TestData.Member(V) with { ParameterCount = 3_000 },
        };
        var step = TestData.Prepare("largest", members).Fuse([TestData.Full(Z1), TestData.Full(Z2), TestData.Full(Z3)]);
        Assert.Equal(1, step.ChosenMember);
        TestData.Close(TestData.Softmax(Z2), step.LogProbs);
    }

    [Fact]
    public void Packllm_sim_mixes_logits_with_softmax_of_negative_losses()
    {
        var evidence = new[] { Evidence(double.NaN, -1.0, -2.0), Evidence(double.NaN, -0.5, -1.0, -1.2) };
        var (l1, l2) = (1.5, 0.9);
        var tau = 0.5;
        var lambda1 = Math.Exp(-l1 / tau) / (Math.Exp(-l1 / tau) + Math.Exp(-l2 / tau));
        var lambda2 = 1 - lambda1;
        var session = TestData.Prepare("packllm-sim", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], evidence,
            TestData.P(("temperature", "0.5"), ("top-k", "0")));
        var step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]);
        Assert.Equal(lambda1, step.MemberWeights[0], 5);
        Assert.Equal(lambda2, step.MemberWeights[1], 5);
        TestData.Close(TestData.Softmax(Enumerable.Range(0, 5).Select(t => lambda1 * Z1[t] + lambda2 * Z2[t]).ToArray()), step.LogProbs);
    }

    [Fact]
    public void Gated_takes_the_main_distribution_when_confident_and_ensembles_otherwise()
    {
        double[] confident = [6.0, 0.0, 0.0, 0.0, 0.0]; // p_top = e^6 / (e^6 + 4) ≈ 0.99
        var members = new[] { TestData.Member(V, MemberRole.Main), TestData.Member(V) };
        var session = TestData.Prepare("gated", members, parameters: TestData.P(("threshold", "0.6"), ("top-k", "0")));
        var step = session.Fuse([TestData.Full(confident), TestData.Full(Z2)]);
        Assert.False(step.Ensembled);
        TestData.Close(TestData.Softmax(confident), step.LogProbs);

        // Z1's top probability is below 0.6: the uniform average.
        Assert.True(TestData.Softmax(Z1).Max() < 0.6);
        step = session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]);
        Assert.True(step.Ensembled);
        var (p1, p2) = (TestData.Softmax(Z1), TestData.Softmax(Z2));
        TestData.Close(Enumerable.Range(0, 5).Select(t => (p1[t] + p2[t]) / 2).ToArray(), step.LogProbs);
    }

    [Fact]
    public void Mixture_routes_by_perplexity_per_character()
    {
        // Prompt "abcdefgh" (8 chars). Member 0: 2 tokens scored from offset 6, NLL 2.0 → 1.0 per token, 1.0 per char.
        // Member 1: 4 tokens scored from offset 1, NLL 4.8 → 1.2 per token (worse) but 4.8 / 7 ≈ 0.69 per char (better).
        var e0 = new PromptEvidence([0, 1, 2], [float.NaN, -1.0f, -1.0f], [0, 6, 7]);
        var e1 = new PromptEvidence([0, 1, 2, 3, 4], [float.NaN, -1.2f, -1.2f, -1.2f, -1.2f], [0, 1, 3, 5, 7]);
        var session = TestData.Prepare("mixture", [TestData.Member(V, MemberRole.Main), TestData.Member(V)], [e0, e1], prompt: "abcdefgh");
        Assert.Equal(1, session.Fuse([TestData.Full(Z1), TestData.Full(Z2)]).ChosenMember);
    }

    [Fact]
    public void Mixture_routes_by_similarity_to_description_prompts()
    {
        var words = new InMemoryVocabulary(["▁code", "▁python", "▁poem", "▁rhyme", "▁the", "▁a"]);
        var members = new[]
        {
            new FusionMember("poet", words, MemberRole.Main) { DescriptionPrompts = [" poem rhyme", " the poem"] },
            new FusionMember("coder", words) { DescriptionPrompts = [" python code", " code the code"] },
        };
        var session = TestData.Prepare("mixture", members, parameters: TestData.P(("router", "similarity")), prompt: " the python code");
        Assert.Equal(1, session.Fuse([TestData.Full(1, 2, 3, 4, 5, 6), TestData.Full(6, 5, 4, 3, 2, 1)]).ChosenMember);
    }
}
