using System.Globalization;
using System.Text;
using Chorus.Fusion;
using Xunit.Abstractions;

namespace Chorus.Fusion.Tests.Methods;

/// <summary>
/// Exact vs top-k: each method run on full logits and on the members' top-k (k = 10, 64, 256), on random (flat) and
/// peaked distributions over 32k tokens; top-1 agreement and total-variation distance. The table is printed
/// (run with --logger "console;verbosity=detailed") and recorded in bench/results/fusion.md.
/// </summary>
public class TopKApproximationTests(ITestOutputHelper output)
{
    private const int Vocabulary = 32_000;
    private const int Trials = 8;
    private static readonly string[] MethodsOnTopK = ["uniform", "packllm-sim", "gated", "proxy-tuning", "dlf", "unite", "deepen"];

    [Fact]
    public void Top_k_agrees_with_full_logits_on_peaked_distributions()
    {
        var random = new Random(17);
        var v = TestData.Vocabulary(Vocabulary);
        var embeddings = DeepenTests.RandomEmbeddings(random, Vocabulary, 8);
        FusionMember[] members =
        [
            new("main", v, MemberRole.Main) { Embeddings = embeddings },
            new("expert", v, MemberRole.Expert) { Embeddings = embeddings },
            new("base", v, MemberRole.Base) { Embeddings = embeddings },
        ];
        PromptEvidence[] evidence = [.. Enumerable.Range(0, 3).Select(k => PromptEvidence.FromLogProbs([0, 1, 2], [float.NaN, -1f - k * 0.3f, -2f]))];
        var table = new StringBuilder("| method | distributions | k | top-1 agreement | mean TV | max TV |\n|---|---|---|---|---|---|\n");
        foreach (var kind in new[] { "random", "peaked-disjoint", "peaked" })
        {
            var steps = Enumerable.Range(0, Trials).Select(_ => Members(random, kind)).ToArray();
            foreach (var method in MethodsOnTopK)
            {
                var full = TestData.Prepare(method, members, evidence, TestData.P(("top-k", "0")));
                var exact = steps.Select(s => TestData.Probabilities(full.Fuse(s).LogProbs)).ToArray();
                foreach (var k in new[] { 10, 64, 256 })
                {
                    var approx = TestData.Prepare(method, members, evidence, TestData.P(("top-k", k.ToString(CultureInfo.InvariantCulture))));
                    double agree = 0, sumTv = 0, maxTv = 0;
                    for (var t = 0; t < Trials; t++)
                    {
                        var p = TestData.Probabilities(approx.Fuse([.. steps[t].Select(d => d.ToTopK(k))]).LogProbs);
                        if (TestData.ArgMax(p) == TestData.ArgMax(exact[t])) agree++;
                        var tv = TestData.TotalVariation(p, exact[t]);
                        sumTv += tv;
                        maxTv = Math.Max(maxTv, tv);
                    }
                    table.Append(CultureInfo.InvariantCulture, $"| {method} | {kind} | {k} | {agree / Trials:P0} | {sumTv / Trials:F4} | {maxTv:F4} |\n");
                    if (kind == "peaked" && k >= 64 && method is "uniform" or "packllm-sim" or "unite" or "gated")
                        Assert.True(agree / Trials >= 0.75, $"{method} top-{k} agrees with full logits on only {agree}/{Trials} peaked steps");
                }
            }
        }
        output.WriteLine(table.ToString());
    }

    // random: independent flat members; peaked-disjoint: each member confident about its own random token;
    // peaked: members that mostly agree (one shared peaked distribution plus per-member noise), as LLMs on one text do.
    private static TokenDistribution[] Members(Random random, string kind)
    {
        var shared = TestData.PeakedLogits(random, Vocabulary);
        return [.. Enumerable.Range(0, 3).Select(_ => TokenDistribution.FromLogits(kind switch
        {
            "random" => TestData.RandomLogits(random, Vocabulary, 3),
            "peaked-disjoint" => TestData.PeakedLogits(random, Vocabulary),
            _ => shared.Select(z => z + (float)(random.NextDouble() * 3 - 1.5)).ToArray(),
        }))];
    }
}
