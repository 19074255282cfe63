namespace Chorus.Fusion.Tests.Methods;

/// <summary>
/// PackLLM's reference vocabulary: with <c>reference=best</c> (the default, as the reference code's select_tokenizer)
/// the fused distribution is over the lowest-loss member's vocabulary and the main member is MinED-mapped onto it;
/// <c>reference=main</c> keeps the main member's vocabulary. The weights are the same either way.
/// </summary>
public sealed class ReferenceVocabularyTests
{
    // Prompt "abcdefgh" (8 bytes). Main (pairs): 3 tokens scored over 6 bytes, NLL 3.6 → 0.6 per byte; other (letters):
    // 7 tokens over 7 bytes, NLL 3.5 → 0.5 per byte, the lower loss: the letters member is the reference.
    private static readonly InMemoryVocabulary Pairs = new(["ab", "cd", "ef", "gh"]);
    private static readonly InMemoryVocabulary Letters = new(["a", "b", "c", "d", "e", "f", "g", "h"]);
    private static readonly FusionMember[] Members = [TestData.Member(Pairs, MemberRole.Main), TestData.Member(Letters)];
    private static readonly double[] PairLogits = [1, 2, 3, 4];
    private static readonly double[] LetterLogits = [0.5, 3, 1, 2, 0, 4, 1.5, 2.5];

    private static PromptEvidence[] Evidence(bool positions) =>
    [
        new([0, 1, 2, 3], [float.NaN, -1.2f, -1.2f, -1.2f], [0, 2, 4, 6], positions ? [null, .. Enumerable.Repeat(TestData.Full(PairLogits), 3)] : null),
        new([0, 1, 2, 3, 4, 5, 6, 7], [float.NaN, -0.5f, -0.5f, -0.5f, -0.5f, -0.5f, -0.5f, -0.5f], [0, 1, 2, 3, 4, 5, 6, 7],
            positions ? [null, .. Enumerable.Repeat(TestData.Full(LetterLogits), 7)] : null),
    ];

    [Fact]
    public void Packllm_sim_fuses_in_the_lowest_loss_members_vocabulary_by_default()
    {
        var best = TestData.Prepare("packllm-sim", Members, Evidence(false), TestData.P(("top-k", "0")), prompt: "abcdefgh");
        var main = TestData.Prepare("packllm-sim", Members, Evidence(false), TestData.P(("top-k", "0"), ("reference", "main")), prompt: "abcdefgh");
        Assert.Equal(1, best.MainMember);
        Assert.Equal(0, main.MainMember);
        var distributions = new[] { TestData.Full(PairLogits), TestData.Full(LetterLogits) };
        var fusedMain = main.Fuse(distributions);
        Assert.Equal(4, fusedMain.LogProbs.Length);
        var lambda = fusedMain.MemberWeights.ToArray();
        var fused = best.Fuse(distributions);
        Assert.Equal(8, fused.LogProbs.Length);
        Assert.Equal(lambda, fused.MemberWeights.ToArray()); // only the vocabulary changed

        // hand computation: MinED maps each letter to the pair it starts or ends (a, b → ab; c, d → cd; …); the pairs'
        // log-softmax read through that map is renormalised over the 8 letters, then z = λ_0·that + λ_1·log p_letters
        var pairs = TestData.Softmax(PairLogits);
        var projected = Enumerable.Range(0, 8).Select(t => pairs[t / 2]).ToArray();
        var projectedSum = projected.Sum();
        var letters = TestData.Softmax(LetterLogits);
        var z = Enumerable.Range(0, 8).Select(t => lambda[0] * Math.Log(projected[t] / projectedSum) + lambda[1] * Math.Log(letters[t])).ToArray();
        TestData.Close(TestData.Softmax(z), fused.LogProbs, 1e-5);
    }

    [Fact]
    public void Packllm_opt_fuses_in_the_lowest_loss_members_vocabulary_by_default()
    {
        var parameters = TestData.P(("top-k", "0"), ("support", "8"));
        var best = TestData.Prepare("packllm-opt", Members, Evidence(true), parameters, prompt: "abcdefgh");
        Assert.Equal(1, best.MainMember);
        Assert.Equal(8, best.Fuse([TestData.Full(PairLogits), TestData.Full(LetterLogits)]).LogProbs.Length);
        parameters["reference"] = "main";
        var main = TestData.Prepare("packllm-opt", Members, Evidence(true), parameters, prompt: "abcdefgh");
        Assert.Equal(0, main.MainMember);
        Assert.Equal(4, main.Fuse([TestData.Full(PairLogits), TestData.Full(LetterLogits)]).LogProbs.Length);
    }

    [Fact]
    public void The_main_member_stays_the_reference_when_it_has_the_lowest_loss_or_ties()
    {
        Assert.Equal(0, ReferenceVocabulary.Lowest([0.6, 0.7], 0));
        Assert.Equal(1, ReferenceVocabulary.Lowest([0.6, 0.6, 0.6], 1));
        Assert.Equal(2, ReferenceVocabulary.Lowest([0.6, double.NaN, 0.5], 1));
        Assert.Equal(0, ReferenceVocabulary.Lowest([double.NaN, double.NaN], 0));
        Assert.Equal(1, ReferenceVocabulary.Lowest([double.NaN, 0.9], 0));
    }

    [Fact]
    public void An_unknown_reference_is_refused_with_the_choices()
    {
        var e = Assert.Throws<FusionParameterException>(() => FusionMethods.Create("packllm-sim", TestData.P(("reference", "largest"))));
        Assert.Contains("best, main", e.Message, StringComparison.Ordinal);
    }
}
