using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

/// <summary>After warm-up, a step allocates nothing: every buffer is the session's.</summary>
public class AllocationTests
{
    public static TheoryData<string, int> Methods() => new()
    {
        { "single", 0 }, { "uniform", 0 }, { "uniform", 64 }, { "top1-ppl", 0 }, { "largest", 0 }, { "packllm-sim", 64 },
        { "packllm-opt", 0 }, { "proxy-tuning", 0 }, { "dlf", 0 }, { "unite", 0 }, { "unite", 64 }, { "deepen", 0 },
        { "mixture", 0 }, { "gated", 64 }, { "online", 0 },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Fuse_does_not_allocate_after_warm_up(string method, int topK)
    {
        var random = new Random(5);
        const int n = 2000;
        var (members, evidence, _, _) = PackLlmOptTests.Pack(random, 3, n, 5);
        var embeddings = DeepenTests.RandomEmbeddings(random, n, 8);
        members = [members[0] with { Role = MemberRole.Main, Embeddings = embeddings, ParameterCount = 1 },
                   members[1] with { Role = MemberRole.Expert, Embeddings = embeddings, ParameterCount = 2 },
                   members[2] with { Role = MemberRole.Base, Embeddings = embeddings, ParameterCount = 3 }];
        var session = TestData.Prepare(method, members, evidence, TestData.P(("top-k", topK.ToString())), prompt: "abcde");
        var step = Enumerable.Range(0, 3).Select(_ =>
        {
            var d = TokenDistribution.FromLogits(TestData.PeakedLogits(random, n));
            return topK > 0 ? d.ToTopK(topK) : d;
        }).ToArray();
        var gatedBelow = method == "gated";
        if (gatedBelow) step[0] = TokenDistribution.FromLogits(TestData.RandomLogits(random, n, 1)).ToTopK(topK); // flat main: the gate opens
        for (var i = 0; i < 8; i++) session.Fuse(step);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var fused = session.Fuse(step);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        if (gatedBelow) Assert.True(fused.Ensembled);
    }

    [Fact]
    public void Sampler_does_not_allocate_after_warm_up()
    {
        var sampler = new Sampler(new SamplerOptions { TopP = 0.9f, TopK = 40, MinP = 0.01f, Seed = 1 });
        var lp = TestData.PeakedLogits(new Random(2), 5000);
        sampler.Sample(lp);
        var before = GC.GetAllocatedBytesForCurrentThread();
        sampler.Sample(lp);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
