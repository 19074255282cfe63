using System.Text.Json;
using Chorus.Llama.Forge;
using Chorus.Llama.Merging;
using Chorus.Llama.Tests.Cli;
using Chorus.Llama.Tests.Gguf;
using Chorus.Llama.Tests.Training;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Model-GLUE's recipe: similar models cluster, dissimilar ones do not; merges are kept only when the held-out score allows.</summary>
public sealed class MergePlannerTests
{
    /// <summary>A: a forged model; B: an unrelated one; C1, C2: A nudged toward B (a "fine-tune" of A, cosine ≈ 0.99).</summary>
    private static (string A, string B, string C1, string C2) Family(TempDirectory dir)
    {
        var a = MergeTestModels.Path(401);
        var b = MergeTestModels.Path(402);
        var c1 = ModelMerger.Merge(new MergeRequest(MergeMethod.Linear, [a, b], dir.File("c1.gguf")) { Weights = [0.9, 0.1], Type = SyntheticWeightType.F32 }).Path;
        var c2 = ModelMerger.Merge(new MergeRequest(MergeMethod.Linear, [a, b], dir.File("c2.gguf")) { Weights = [0.88, 0.12], Type = SyntheticWeightType.F32 }).Path;
        return (a, b, c1, c2);
    }

    [Fact]
    public void SimilarityIsOneForAModelWithItselfHighForANudgeAndNearZeroForStrangers()
    {
        using var dir = new TempDirectory();
        var (a, b, c1, _) = Family(dir);
        Assert.Equal(1.0, WeightSimilarity.Compute(a, a), 9);
        Assert.InRange(WeightSimilarity.Compute(a, c1), 0.98, 0.999); // 0.9 / √(0.9² + 0.1²) ≈ 0.994 for equal-norm columns
        Assert.InRange(WeightSimilarity.Compute(a, b), -0.05, 0.05);
    }

    [Fact]
    public void TheGreedyLoopKeepsAMergeThatHelpsAndDropsOneThatHurts()
    {
        using var dir = new TempDirectory();
        var (a, b, c1, c2) = Family(dir);
        // a scripted score (the engine's scores are checked in the next test): A best, then C1, C2, B; merge 1 helps, merge 2 hurts
        var wide = MergeTestModels.Path(403, embedding: 128); // another shape: never merged, its own family
        var fixedScores = new Dictionary<string, double> { [a] = 2.0, [c1] = 2.1, [c2] = 2.2, [b] = 3.0, [wide] = 3.5 };
        var mergeScores = new Queue<double>([1.9, 1.95]);
        var merged = new List<string>();
        double Score(string path)
        {
            if (fixedScores.TryGetValue(path, out var s)) return s;
            merged.Add(path);
            return mergeScores.Dequeue();
        }
        var plan = MergePlanner.Plan([b, c2, wide, a, c1], Score, new MergePlanOptions(dir.File("plan")) { Type = SyntheticWeightType.F32 });
        Assert.Equal([a, c1, c2, b, wide], plan.Candidates.Select(c => c.Path));
        Assert.Equal(3, plan.Families.Count);
        Assert.Equal([wide], plan.Families[2].Members);
        var family = plan.Families[0];
        Assert.Equal([a, c1, c2], family.Members);
        Assert.Equal([b], plan.Families[1].Members);
        Assert.Equal(2, family.Rounds.Count);
        Assert.True(family.Rounds[0].Kept);
        Assert.Equal(0.5, family.Rounds[0].Coefficient); // running average after 0 kept merges: 1/2
        Assert.False(family.Rounds[1].Kept);
        Assert.Equal(2.0 / 3, family.Rounds[1].Coefficient, 12); // after 1 kept merge: 2/3
        Assert.Equal(merged[0], family.Result);
        Assert.True(File.Exists(family.Result));
        Assert.False(File.Exists(merged[1])); // a dropped merge is not left behind
        Assert.Equal(1.9, family.ResultBitsPerByte);
        // the kept merge is ½A + ½C1, written as the plan said
        using var result = Chorus.Llama.Gguf.GgufFile.Open(family.Result);
        using var fa = Chorus.Llama.Gguf.GgufFile.Open(a);
        using var fc = Chorus.Llama.Gguf.GgufFile.Open(c1);
        var w = result.Dequantize("blk.0.ffn_up.weight");
        var x = fa.Dequantize("blk.0.ffn_up.weight");
        var y = fc.Dequantize("blk.0.ffn_up.weight");
        for (var j = 0; j < w.Length; j++) Assert.Equal(0.5 * x[j] + 0.5 * y[j], w[j], 5);
    }

    [Fact]
    public async Task ThePlanCommandScoresThroughTheEngineAndReportsJson()
    {
        using var dir = new TempDirectory();
        var (a, b, c1, _) = Family(dir);
        var heldOut = dir.File("held-out.txt");
        File.WriteAllText(heldOut, File.ReadAllText(Corpora.TestSplit("wiki"))[..3000]);
        var (code, output, error) = await CliRunner.RunAsync("merge", "plan", "-m", a, "-m", b, "-m", c1, "--held-out", heldOut,
            "--type", "f32", "--out-dir", dir.File("plan"), "--threads", "2", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var families = json.RootElement.GetProperty("families");
        Assert.Equal(2, families.GetArrayLength());
        var candidates = json.RootElement.GetProperty("candidates").EnumerateArray()
            .ToDictionary(c => c.GetProperty("path").GetString()!, c => c.GetProperty("bitsPerByte").GetDouble());
        var scorer = new HeldOutScorer(File.ReadAllText(heldOut), threads: 2);
        Assert.Equal(scorer.BitsPerByte(a), candidates[a], 6);
        var pair = families.EnumerateArray().Single(f => f.GetProperty("members").GetArrayLength() == 2);
        var round = pair.GetProperty("rounds")[0];
        var head = pair.GetProperty("members")[0].GetString()!;
        var kept = round.GetProperty("kept").GetBoolean();
        Assert.Equal(round.GetProperty("bitsPerByte").GetDouble() <= candidates[head], kept);
        if (kept) Assert.Equal(scorer.BitsPerByte(round.GetProperty("path").GetString()!), round.GetProperty("bitsPerByte").GetDouble(), 6);
    }
}
