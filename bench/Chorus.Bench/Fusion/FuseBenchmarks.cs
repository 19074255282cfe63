using BenchmarkDotNet.Attributes;
using Chorus.Fusion;

namespace Chorus.Bench.Fusion;

/// <summary>
/// One fused step per method, K members, vocabulary V, each member sending what the method's requirements ask for
/// by default (full logits or top-k). proxy-tuning and dlf need main + base + expert, so their K = 2 runs with 3.
/// DeePEn's relative rows are warm after the first step (the same tokens recur); see <see cref="DeepenBenchmarks"/> for cold rows.
/// </summary>
[MemoryDiagnoser]
public class FuseBenchmarks
{
    private FusionSession _session = null!;
    private TokenDistribution[] _step = [];

    [Params("single", "uniform", "top1-ppl", "largest", "packllm-sim", "packllm-opt", "proxy-tuning", "dlf", "unite", "deepen", "mixture", "gated")]
    public string Method { get; set; } = "";

    [Params(2, 4, 8)]
    public int K { get; set; }

    [Params(32_000, 152_000)]
    public int V { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var vocabulary = FusionBenchData.Vocabulary(V);
        var count = Method is "proxy-tuning" or "dlf" ? Math.Max(3, K) : K;
        var embeddings = Method == "deepen" ? FusionBenchData.Embeddings(random, V, 64) : null;
        var method = FusionMethods.Create(Method);
        var evidence = method.Requirements.NeedsPromptEvidence ? FusionBenchData.Evidence(random, count, V, 16) : null;
        _session = method.Prepare(new FusionRequest
        {
            Members = FusionBenchData.Members(vocabulary, count, embeddings),
            Evidence = evidence,
            PromptText = new string('x', 64),
        });
        var topK = method.Requirements.TopK;
        _step = new TokenDistribution[count];
        for (var k = 0; k < count; k++)
        {
            var logits = FusionBenchData.PeakedLogits(random, V);
            _step[k] = topK == 0 ? TokenDistribution.FromLogits(logits) : TokenDistribution.TopK(logits, topK);
        }
        _session.Fuse(_step);
    }

    [Benchmark]
    public int Fuse() => _session.Fuse(_step).ArgMax();
}
