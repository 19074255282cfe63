namespace Chorus.Fusion.Tests.Methods;

public class CrossTokenizerLossTests
{
    // Prompt "abcdefgh" (8 bytes). Main (pairs "ab".."gh"): 3 tokens scored from offset 2, NLL 3.6 → 1.2 per token,
    // 3.6 / 6 bytes = 0.6 per byte. Other (single letters): 7 tokens scored from offset 1, NLL 7.0 → 1.0 per token (better),
    // 7.0 / 7 bytes = 1.0 per byte (worse).
    private static readonly InMemoryVocabulary Pairs = new(["ab", "cd", "ef", "gh"]);
    private static readonly InMemoryVocabulary Letters = new(["a", "b", "c", "d", "e", "f", "g", "h"]);
    private static readonly PromptEvidence MainEvidence = new([0, 1, 2, 3], [float.NaN, -1.2f, -1.2f, -1.2f], [0, 2, 4, 6]);
    private static readonly PromptEvidence OtherEvidence = new([0, 1, 2, 3, 4, 5, 6, 7], [float.NaN, -1f, -1f, -1f, -1f, -1f, -1f, -1f], [0, 1, 2, 3, 4, 5, 6, 7]);
    private static readonly FusionMember[] Members = [TestData.Member(Pairs, MemberRole.Main), TestData.Member(Letters)];

    [Fact]
    public void Top1_ppl_compares_members_per_byte_across_tokenizers()
    {
        Assert.True(OtherEvidence.Loss < MainEvidence.Loss); // per token the finer tokenizer would win
        var session = TestData.Prepare("top1-ppl", Members, [MainEvidence, OtherEvidence], TestData.P(("top-k", "0")), prompt: "abcdefgh");
        Assert.Equal(0, session.Fuse([TestData.Full(1, 2, 3, 4), TestData.Full(1, 2, 3, 4, 5, 6, 7, 8)]).ChosenMember);
    }

    [Fact]
    public void Packllm_sim_weights_per_byte_on_the_main_members_token_scale()
    {
        // Main: 6 bytes over 3 scored tokens → L_main = 1.2 (its per-token loss); other: 1.0 per byte × 2 bytes per token = 2.0.
        var lambdaMain = 1 / (1 + Math.Exp(-(2.0 - 1.2)));
        var session = TestData.Prepare("packllm-sim", Members, [MainEvidence, OtherEvidence], TestData.P(("top-k", "0")), prompt: "abcdefgh");
        var step = session.Fuse([TestData.Full(1, 2, 3, 4), TestData.Full(1, 2, 3, 4, 5, 6, 7, 8)]);
        Assert.Equal(lambdaMain, step.MemberWeights[0], 5);
        Assert.Equal(1 - lambdaMain, step.MemberWeights[1], 5);
    }

    [Fact]
    public void One_shared_vocabulary_keeps_the_per_token_loss()
    {
        var same = new[] { TestData.Member(Letters, MemberRole.Main), TestData.Member(Letters) };
        var session = TestData.Prepare("top1-ppl", same, [MainEvidence, OtherEvidence], TestData.P(("top-k", "0")), prompt: "abcdefgh");
        Assert.Equal(1, session.Fuse([TestData.Full(1, 2, 3, 4, 5, 6, 7, 8), TestData.Full(1, 2, 3, 4, 5, 6, 7, 8)]).ChosenMember);
    }
}
