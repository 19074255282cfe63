using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;
using Chorus.Llama.Merging;
using Chorus.Llama.Tests.Gguf;

namespace Chorus.Llama.Tests.Merging;

/// <summary>mergekit's knobs — dare_ties, normalize, lambda, rescale, negative weights, SLERP's t per tensor and layer —
/// against values worked out by hand from mergekit's generalized task arithmetic and its gradient lists.</summary>
public sealed class MergeKnobTests
{
    private static ReadOnlyMemory<float>[] Models(params float[][] models) => models.Select(m => (ReadOnlyMemory<float>)m).ToArray();

    private static float[] Run(float[] b, float[][] models, double[] weights, TaskVectorOptions options, int tensor = 0)
    {
        var output = new float[b.Length];
        TaskVectorMerge.Merge(b, Models(models), weights, options, tensor, output);
        return output;
    }

    [Fact]
    public void DareTiesElectsSignsOverTheDroppedRescaledTaskVectorsWithoutNormalising()
    {
        // density 1 keeps everything: τ1 = [1, −2, 3], τ2 = [−4, 1, 1]; votes [−3, −1, 4] → signs [−, −, +];
        // agreeing sums, not divided by the weights (dare_ties does not normalise): [−4, −2, 4]
        float[] b = [0, 0, 0];
        float[][] m = [[1, -2, 3], [-4, 1, 1]];
        Assert.Equal([-4f, -2f, 4f], Run(b, m, [1, 1], MergeMethod.DareTies.Defaults(1)));
        Assert.Equal([-3f, -1f, 4f], Run(b, m, [1, 1], MergeMethod.Dare.Defaults(1))); // dare_linear sums every entry
        Assert.Equal(MergeMethod.DareTies, MergeMethods.Parse("dare_ties"));
    }

    [Fact]
    public void DareTiesAtHalfDensityIsTheElectionOverDaresOwnMasks()
    {
        const int n = 4000;
        var random = new Random(4);
        var b = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        float[][] m = [[.. b.Select(x => x + (float)(random.NextDouble() - 0.5))], [.. b.Select(x => x + (float)(random.NextDouble() - 0.5))]];
        var options = MergeMethod.DareTies.Defaults(0.5) with { Seed = 7 };
        var merged = Run(b, m, [0.6, 0.4], options, tensor: 2);
        // each model's dropped, 1/density-rescaled task vector, read back through dare_linear with the other weight 0
        double[][] alone = [[1, 0], [0, 1]];
        var thinned = alone.Select(w =>
            Run(b, m, w, MergeMethod.Dare.Defaults(0.5) with { Seed = 7 }, tensor: 2).Select((x, j) => (double)x - b[j]).ToArray()).ToArray();
        int dropped = 0, disagreed = 0;
        for (var j = 0; j < n; j++)
        {
            double[] weighted = [0.6 * thinned[0][j], 0.4 * thinned[1][j]];
            var sign = weighted.Sum() >= 0 ? 1 : -1;
            var expected = b[j] + weighted.Where(x => Math.Sign(x) == sign).Sum();
            Assert.Equal(expected, merged[j], 4);
            if (thinned[0][j] == 0) dropped++;
            if (weighted.All(x => x != 0) && Math.Sign(weighted[0]) != Math.Sign(weighted[1])) disagreed++;
        }
        Assert.InRange(dropped, n * 0.45, n * 0.55);
        Assert.True(disagreed > n / 20, $"only {disagreed} entries tested the election");
    }

    [Fact]
    public void NormalizeDividesByTheWeightsAndLambdaScalesTheMixedDelta()
    {
        float[] b = [1, 1];
        float[][] m = [[3, 1], [5, 2]]; // τ1 = [2, 0], τ2 = [4, 1]
        var arithmetic = MergeMethod.TaskArithmetic.Defaults(1);
        Assert.Equal([15f, 4f], Run(b, m, [1, 3], arithmetic));                                    // 1 + 2 + 12, 1 + 3
        Assert.Equal([4.5f, 1.75f], Run(b, m, [1, 3], arithmetic with { Normalize = true }));      // 1 + 14/4, 1 + 3/4
        Assert.Equal([8f, 2.5f], Run(b, m, [1, 3], arithmetic with { Lambda = 0.5 }));             // 1 + 14/2, 1 + 3/2
        // ties without normalising: the agreeing entries' weighted sum
        Assert.Equal([15f, 4f], Run(b, m, [1, 3], MergeMethod.Ties.Defaults(1) with { Normalize = false }));
        Assert.Equal([4.5f, 2f], Run(b, m, [1, 3], MergeMethod.Ties.Defaults(1)));                 // τ1's 0 does not agree: 3/3
    }

    [Fact]
    public void RescaleIsOneOverDensityForDareAndTheL1NormForTies()
    {
        float[] b = [0, 0, 0, 0];
        float[][] m = [[1, -2, 3, 0.5f]];
        // TIES at 0.5 keeps [0, −2, 3, 0]; mergekit's rescale restores the L1 norm 6.5 from 5: ×1.3
        var rescaled = Run(b, m, [1], MergeMethod.Ties.Defaults(0.5) with { Rescale = true });
        foreach (var (expected, actual) in new[] { 0, -2.6, 3.9, 0 }.Zip(rescaled)) Assert.Equal(expected, actual, 5);
        Assert.Equal([0f, -2f, 3f, 0f], Run(b, m, [1], MergeMethod.Ties.Defaults(0.5)));
        // DARE: kept entries ×1/density by default, as they are with rescale off
        var big = Enumerable.Range(0, 1000).Select(i => 1f + i % 5).ToArray();
        var kept = Run(new float[1000], [big], [1], MergeMethod.Dare.Defaults(0.25));
        var plain = Run(new float[1000], [big], [1], MergeMethod.Dare.Defaults(0.25) with { Rescale = false });
        for (var j = 0; j < 1000; j++)
        {
            Assert.True(kept[j] == 0 || Math.Abs(kept[j] - 4 * big[j]) < 1e-5, $"entry {j}: {kept[j]}");
            Assert.Equal(kept[j] == 0 ? 0 : big[j], plain[j]); // same mask, no rescale
        }
    }

    [Fact]
    public void NegativeWeightsSubtractTasksAsMergekitDoes()
    {
        float[] b = [1, 1];
        float[][] m = [[2, -1], [3, 2]]; // τ1 = [1, −2], τ2 = [2, 1]
        Assert.Equal([0f, -2f], Run(b, m, [1, -1], MergeMethod.TaskArithmetic.Defaults(1))); // 1 + 1 − 2, 1 − 2 − 1
        var linear = new float[2];
        LinearMerge.Merge(Models(m), [2, -1], linear); // (2·m1 − m2) / 1
        Assert.Equal([1f, -4f], linear);
        // TIES, weights (1, −1): weighted τ = [1, −2] and [−2, −1]; votes −1, −3 → both −. Entry 0: only model 2 agrees,
        // −2 / −1 = +2 (normalising by a negative weight undoes the negation, as in mergekit); entry 1: both agree, −3 over
        // a divisor 1 − 1 = 0, which mergekit replaces by 1
        Assert.Equal([3f, -2f], Run(b, m, [1, -1], MergeMethod.Ties.Defaults(1)));
        Assert.Equal([-1f, -2f], Run(b, m, [1, -1], MergeMethod.Ties.Defaults(1) with { Normalize = false }));
    }

    [Fact]
    public void TiesDefaultDensityIsMergekitsAndDareKeepsHalf()
    {
        Assert.Equal(1.0, new MergeRequest(MergeMethod.Ties, ["a", "b"], "x") { BaseModel = "c" }.EffectiveDensity);
        Assert.Equal(0.5, new MergeRequest(MergeMethod.DareTies, ["a", "b"], "x") { BaseModel = "c" }.EffectiveDensity);
        var problems = new MergeRequest(MergeMethod.Linear, ["a", "b"], "x") { Density = 0.5, Lambda = 2, Rescale = true }.Problems();
        Assert.Contains(problems, p => p.Contains("linear has no density", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("linear has no lambda", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("thins nothing to rescale", StringComparison.Ordinal));
    }

    [Fact]
    public void SlerpTFollowsMergekitsGradientListsAndFilters()
    {
        var t = SlerpSchedule.Parse(["attn=0,0.5,0.3,0.7,1", "ffn=1,0.5,0.7,0.3,0", "0.5"]);
        // 9 layers: layer 2 sits at x = 0.25, exactly the second point; layer 3 at 0.375, half-way between 0.5 and 0.3
        Assert.Equal(0.5, t.For("blk.2.attn_q.weight", 9), 12);
        Assert.Equal(0.4, t.For("blk.3.attn_q.weight", 9), 12);
        Assert.Equal(0.6, t.For("blk.3.ffn_up.weight", 9), 12);
        Assert.Equal(1.0, t.For("blk.8.attn_output.weight", 9), 12);
        Assert.Equal(0.5, t.For("blk.3.norm.weight", 9), 12); // no filter matches: the fallback
        Assert.Equal(0.5, t.For("output_norm.weight", 9), 12);
        Assert.Equal(0.0, SlerpSchedule.Parse(["0,1"]).For("token_embd.weight", 9), 12); // outside the layers: x = 0
        Assert.Equal(1.0, SlerpSchedule.Parse(["0,1"]).For("blk.0.attn_q.weight", 1), 12); // one layer: x = 1
        var e = Assert.Throws<ArgumentException>(() => SlerpSchedule.Parse(["attn=0.2"]).For("blk.0.ffn_up.weight", 2));
        Assert.Contains("fallback", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SlerpSchedule.Parse(["1.5"]));
    }

    [Fact]
    public void SlerpWithAPerLayerGradientUsesEachTensorsOwnT()
    {
        var a = MergeTestModels.Path(102);
        var c = MergeTestModels.Path(103);
        using var dir = new TempDirectory();
        var path = ModelMerger.Merge(new MergeRequest(MergeMethod.Slerp, [a, c], dir.File("merged.gguf"))
        {
            SlerpT = SlerpSchedule.Parse(["attn=0,1", "0.25"]), Type = SyntheticWeightType.F32,
        }).Path;
        using var merged = GgufFile.Open(path);
        using var x = GgufFile.Open(a);
        using var y = GgufFile.Open(c);
        var layers = merged.Tensors.Where(s => s.Name.StartsWith("blk.", StringComparison.Ordinal)).Select(s => int.Parse(s.Name.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).Max() + 1;
        Assert.True(layers >= 2, "the forged model should have several layers");
        var distinct = new HashSet<double>();
        foreach (var tensor in merged.Tensors)
        {
            var name = tensor.Name;
            var layer = name.StartsWith("blk.", StringComparison.Ordinal) ? int.Parse(name.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
            var expectedT = name.Contains("attn", StringComparison.Ordinal) ? (double)layer / (layers - 1) : 0.25;
            distinct.Add(expectedT);
            var (p, q) = (x.Dequantize(name), y.Dequantize(name));
            double dot = 0, np = 0, nq = 0;
            for (var j = 0; j < p.Length; j++) { dot += p[j] * (double)q[j]; np += p[j] * (double)p[j]; nq += q[j] * (double)q[j]; }
            var cos = dot / Math.Sqrt(np) / Math.Sqrt(nq);
            double s0 = 1 - expectedT, s1 = expectedT;
            if (Math.Abs(cos) <= 0.9995)
            {
                var theta = Math.Acos(cos);
                (s0, s1) = (Math.Sin((1 - expectedT) * theta) / Math.Sin(theta), Math.Sin(expectedT * theta) / Math.Sin(theta));
            }
            var actual = merged.Dequantize(name);
            for (var j = 0; j < actual.Length; j++)
                Assert.True(Math.Abs(actual[j] - (s0 * p[j] + s1 * q[j])) <= 1e-5 * Math.Max(1, Math.Abs(actual[j])), $"{name}[{j}] at t = {expectedT}");
        }
        Assert.True(distinct.Count >= 3, "attention tensors of different layers should get different t");
        Assert.Equal("attn=0,1 0.25", merged.Metadata["chorus.merge.t"].AsString());
    }
}
