using Chorus.Fusion;
using FsCheck.Xunit;

namespace Chorus.Fusion.Tests.Properties;

/// <summary>Properties over random members (FsCheck draws the seeds; the cases are built from them).</summary>
public class FusionProperties
{
    private const int Runs = 25;
    private static readonly string[] Ensembles = ["uniform", "packllm-sim", "packllm-opt", "unite", "deepen", "gated", "top1-ppl", "mixture"];

    private static (FusionMember[] Members, PromptEvidence[] Evidence, TokenDistribution[] Step) RandomPack(int seed, int members)
    {
        var random = new Random(seed);
        var n = random.Next(5, 11);
        var (fm, evidence, _, _) = Methods.PackLlmOptTests.Pack(random, members, n, 6);
        var embeddings = Methods.DeepenTests.RandomEmbeddings(random, n, 4);
        fm = fm.Select(m => m with { Embeddings = embeddings }).ToArray();
        var step = Enumerable.Range(0, members).Select(_ => TokenDistribution.FromLogits(TestData.RandomLogits(random, n, 3))).ToArray();
        return (fm, evidence, step);
    }

    [Property(MaxTest = Runs)]
    public void Fused_distributions_are_normalised(int seed)
    {
        var (members, evidence, step) = RandomPack(seed, 3);
        foreach (var method in Ensembles)
        {
            var fused = TestData.Prepare(method, members, evidence, TestData.P(("top-k", "0")), prompt: "abcdef").Fuse(step);
            Assert.Equal(1.0, TestData.Probabilities(fused.LogProbs).Sum(), 4);
        }
    }

    [Property(MaxTest = Runs)]
    public void Uniform_of_identical_members_is_that_member(int seed)
    {
        var (members, _, step) = RandomPack(seed, 3);
        var fused = TestData.Prepare("uniform", members, parameters: TestData.P(("top-k", "0"))).Fuse([step[0], step[0], step[0]]);
        TestData.Close(TestData.Softmax(step[0].Logits.ToArray()), fused.LogProbs, 1e-5);
    }

    [Property(MaxTest = Runs)]
    public void Packllm_opt_prompt_loss_is_at_most_top1_ppl_loss(int seed)
    {
        var random = new Random(seed);
        var (members, evidence, logits, tokens) = Methods.PackLlmOptTests.Pack(random, 3, random.Next(5, 10), 8);
        var opt = TestData.Prepare("packllm-opt", members, evidence, TestData.P(("top-k", "0")));
        var top1 = TestData.Prepare("top1-ppl", members, evidence).PreparedWeights;
        var optLoss = Methods.PackLlmOptTests.MixtureLoss(logits, tokens, opt.PreparedWeights.ToArray().Select(w => (double)w).ToArray());
        var top1Loss = Methods.PackLlmOptTests.MixtureLoss(logits, tokens, top1.ToArray().Select(w => (double)w).ToArray());
        Assert.True(optLoss <= top1Loss + 1e-5, $"packllm-opt loss {optLoss} > top1-ppl loss {top1Loss}");
    }

    [Property(MaxTest = Runs)]
    public void Dlf_with_alpha_zero_is_the_base(int seed)
    {
        var (members, _, step) = RandomPack(seed, 3);
        members = [members[0] with { Role = MemberRole.Main }, members[1] with { Role = MemberRole.Expert }, members[2] with { Role = MemberRole.Base }];
        var fused = TestData.Prepare("dlf", members, parameters: TestData.P(("alpha-max", "0"))).Fuse(step);
        TestData.Close(TestData.Softmax(step[0].Logits.ToArray()), fused.LogProbs, 1e-5);
        Assert.Equal(0f, fused.Alpha);
    }

    [Property(MaxTest = Runs)]
    public void Proxy_tuning_matches_its_formula(int seed)
    {
        var (members, _, step) = RandomPack(seed, 3);
        var alpha = new Random(seed).NextDouble() * 3;
        members = [members[0] with { Role = MemberRole.Main }, members[1] with { Role = MemberRole.Expert }, members[2] with { Role = MemberRole.Base }];
        var fused = TestData.Prepare("proxy-tuning", members, parameters: TestData.P(("alpha", alpha.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))).Fuse(step);
        var (m, e, b) = (step[0].Logits.ToArray(), step[1].Logits.ToArray(), step[2].Logits.ToArray());
        TestData.Close(TestData.Softmax(m.Select((z, t) => z + alpha * (e[t] - (double)b[t])).ToArray()), fused.LogProbs, 1e-4);
    }

    [Property(MaxTest = Runs)]
    public void Unite_and_deepen_with_one_member_keep_its_greedy_choice(int seed)
    {
        var (members, _, step) = RandomPack(seed, 1);
        var greedy = step[0].ArgMax();
        Assert.Equal(greedy, TestData.Prepare("unite", members).Fuse(step).ArgMax());
        Assert.Equal(greedy, TestData.Prepare("deepen", members).Fuse(step).ArgMax());
    }

    [Property(MaxTest = Runs)]
    public void Mined_of_a_vocabulary_against_itself_is_the_identity(int seed)
    {
        var random = new Random(seed);
        var pieces = Enumerable.Range(0, random.Next(1, 60))
            .Select(i => (random.Next(3) == 0 ? "▁" : "") + new string((char)('a' + random.Next(5)), random.Next(1, 4)) + i).ToArray();
        var a = new InMemoryVocabulary(pieces);
        var copy = new InMemoryVocabulary([.. pieces]);
        Assert.True(MinEditDistanceMapper.Build(a, copy).IsIdentity);
        // Without the hash shortcut too: through exact matches of distinct pieces.
        var map = MinEditDistanceMapper.Build(a, new InMemoryVocabulary([.. pieces, "extra"]));
        for (var t = 0; t < pieces.Length; t++) Assert.Equal(t, map.ToMember[t]);
    }
}
