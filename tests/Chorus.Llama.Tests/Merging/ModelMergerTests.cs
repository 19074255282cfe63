using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;
using Chorus.Llama.Merging;
using Chorus.Llama.Native;
using Chorus.Llama.Tests.Gguf;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Whole GGUF merges of forged models: every output tensor equals its method's formula over the input tensors.</summary>
public sealed class ModelMergerTests
{
    private static readonly string Base = MergeTestModels.Path(101);
    private static readonly string A = MergeTestModels.Path(102);
    private static readonly string B = MergeTestModels.Path(103);

    [Fact]
    public void LinearEqualsTheWeightedMeanTensorByTensor()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.Linear, [A, B], "") { Weights = [1, 3] });
        EveryTensor(output, null, [A, B], (_, m, j) => (1.0 * m[0][j] + 3.0 * m[1][j]) / 4);
    }

    [Fact]
    public void TaskArithmeticEqualsBasePlusWeightedTaskVectors()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.TaskArithmetic, [A, B], "") { BaseModel = Base, Weights = [0.7, 0.4] });
        EveryTensor(output, Base, [A, B], (b, m, j) => b![j] + 0.7 * (m[0][j] - b[j]) + 0.4 * (m[1][j] - b[j]));
    }

    [Fact]
    public void EqualWeightsByDefaultMakeTaskArithmeticTheMean()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.TaskArithmetic, [A, B], "") { BaseModel = Base });
        EveryTensor(output, Base, [A, B], (_, m, j) => (m[0][j] + (double)m[1][j]) / 2);
    }

    [Fact]
    public void TiesEqualsTrimElectDisjointMeanTensorByTensor()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.Ties, [A, B], "") { BaseModel = Base, Weights = [1, 2], Density = 0.3 });
        // the reference: trim by a full sort of each task vector, then the per-element vote, written out plainly
        using var merged = GgufFile.Open(output);
        using var b = GgufFile.Open(Base);
        using var a = GgufFile.Open(A);
        using var c = GgufFile.Open(B);
        foreach (var tensor in merged.Tensors)
        {
            var baseValues = b.Dequantize(tensor.Name);
            var t1 = Trim(Delta(a.Dequantize(tensor.Name), baseValues), 0.3);
            var t2 = Trim(Delta(c.Dequantize(tensor.Name), baseValues), 0.3);
            var actual = merged.Dequantize(tensor.Name);
            for (var j = 0; j < actual.Length; j++)
            {
                var sign = 1 * t1[j] + 2 * t2[j] >= 0 ? 1 : -1;
                double sum = 0, weight = 0;
                if (t1[j] != 0 && Math.Sign(t1[j]) == sign) { sum += t1[j]; weight += 1; }
                if (t2[j] != 0 && Math.Sign(t2[j]) == sign) { sum += 2 * t2[j]; weight += 2; }
                var want = baseValues[j] + (weight > 0 ? sum / weight : 0);
                if (Math.Abs(actual[j] - want) > 1e-6) Assert.Fail($"{tensor.Name}[{j}] = {actual[j]}, TIES gives {want}");
            }
        }
    }

    [Fact]
    public void DareEntriesAreBaseOrRescaledTaskVectorsAndKeepAboutDensity()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.Dare, [A, B], "") { BaseModel = Base, Weights = [0.5, 0.5], Density = 0.4, Seed = 3 });
        using var merged = GgufFile.Open(output);
        using var b = GgufFile.Open(Base);
        using var a = GgufFile.Open(A);
        using var c = GgufFile.Open(B);
        long kept1 = 0, kept2 = 0, total = 0;
        foreach (var tensor in merged.Tensors.Where(t => t.Dimensions.Count == 2))
        {
            var baseValues = b.Dequantize(tensor.Name);
            var d1 = Delta(a.Dequantize(tensor.Name), baseValues);
            var d2 = Delta(c.Dequantize(tensor.Name), baseValues);
            var actual = merged.Dequantize(tensor.Name);
            for (var j = 0; j < actual.Length; j++)
            {
                // which of the four keep/drop combinations explains the value? (random weights: exactly one does)
                var found = false;
                for (var mask = 0; mask < 4 && !found; mask++)
                {
                    var want = baseValues[j] + ((mask & 1) != 0 ? 0.5 * d1[j] / 0.4 : 0) + ((mask & 2) != 0 ? 0.5 * d2[j] / 0.4 : 0);
                    if (Math.Abs(actual[j] - want) > 1e-6 * Math.Max(1, Math.Abs(want))) continue;
                    found = true;
                    if ((mask & 1) != 0) kept1++;
                    if ((mask & 2) != 0) kept2++;
                }
                if (!found) Assert.Fail($"{tensor.Name}[{j}] = {actual[j]} is no keep/drop combination of the two task vectors");
                total++;
            }
        }
        Assert.InRange(kept1 / (double)total, 0.39, 0.41);
        Assert.InRange(kept2 / (double)total, 0.39, 0.41);
    }

    [Fact]
    public void SlerpEqualsTheArcFormulaPerTensor()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.Slerp, [A, B], "") { Weights = [3, 1] }); // t = 1/4
        using var merged = GgufFile.Open(output);
        using var a = GgufFile.Open(A);
        using var c = GgufFile.Open(B);
        var arcs = 0;
        foreach (var tensor in merged.Tensors)
        {
            var x = a.Dequantize(tensor.Name);
            var y = c.Dequantize(tensor.Name);
            double dot = 0, nx = 0, ny = 0;
            for (var j = 0; j < x.Length; j++) { dot += x[j] * (double)y[j]; nx += x[j] * (double)x[j]; ny += y[j] * (double)y[j]; }
            var cos = dot / Math.Sqrt(nx) / Math.Sqrt(ny);
            double s0 = 0.75, s1 = 0.25;
            if (Math.Abs(cos) <= 0.9995)
            {
                arcs++;
                var theta = Math.Acos(cos);
                s0 = Math.Sin(0.75 * theta) / Math.Sin(theta);
                s1 = Math.Sin(0.25 * theta) / Math.Sin(theta);
            }
            var actual = merged.Dequantize(tensor.Name);
            for (var j = 0; j < actual.Length; j++)
                Assert.True(Math.Abs(actual[j] - (s0 * x[j] + s1 * y[j])) <= 1e-5 * Math.Max(1, Math.Abs(actual[j])), $"{tensor.Name}[{j}]");
        }
        // independent random matrices are nearly orthogonal (arc); the all-ones norms are colinear (lerp): both branches ran
        Assert.InRange(arcs, 1, merged.Tensors.Count - 1);
    }

    [Fact]
    public void OutputTypeAppliesToMatricesAndVectorsStayF32()
    {
        using var dir = new TempDirectory();
        var output = Merge(dir, new MergeRequest(MergeMethod.Linear, [A, B], ""), SyntheticWeightType.Q8_0);
        using var merged = GgufFile.Open(output);
        Assert.All(merged.Tensors, t => Assert.Equal(t.Dimensions.Count == 1 ? GgmlType.F32 : GgmlType.Q8_0, t.Type));
        Assert.Equal("linear", merged.Metadata["chorus.merge.method"].AsString());
        Assert.Equal(7u, merged.Metadata["general.file_type"].AsUInt32()); // LLAMA_FTYPE_MOSTLY_Q8_0
        // q8_0 rounds each value to 1/127 of its block's largest magnitude
        EveryTensor(output, null, [A, B], (_, m, j) => (m[0][j] + (double)m[1][j]) / 2, tolerance: 0.02);
    }

    /// <summary>Merges to F32 (unless told otherwise) so the formulas hold to float rounding.</summary>
    private static string Merge(TempDirectory dir, MergeRequest request, SyntheticWeightType type = SyntheticWeightType.F32) =>
        ModelMerger.Merge(request with { OutputPath = dir.File("merged.gguf"), Type = type }).Path;

    private static float[] Delta(float[] model, float[] baseValues)
    {
        var d = new float[model.Length];
        for (var j = 0; j < d.Length; j++) d[j] = model[j] - baseValues[j];
        return d;
    }

    /// <summary>Top-k by magnitude via a full stable sort (ties → lower index).</summary>
    private static float[] Trim(float[] delta, double density)
    {
        var k = Math.Max(1, (int)(density * delta.Length));
        var keep = Enumerable.Range(0, delta.Length).OrderByDescending(j => Math.Abs(delta[j])).ThenBy(j => j).Take(k).ToHashSet();
        return delta.Select((v, j) => keep.Contains(j) ? v : 0).ToArray();
    }

    private static void EveryTensor(string output, string? baseModel, string[] models, Func<float[]?, float[][], int, double> expected, double tolerance = 1e-5)
    {
        using var merged = GgufFile.Open(output);
        using var b = baseModel is null ? null : GgufFile.Open(baseModel);
        var inputs = models.Select(GgufFile.Open).ToList();
        try
        {
            Assert.Equal(inputs[0].Tensors.Select(t => t.Name), merged.Tensors.Select(t => t.Name));
            foreach (var tensor in merged.Tensors)
            {
                Assert.Equal(inputs[0].GetTensor(tensor.Name).Dimensions, tensor.Dimensions);
                var actual = merged.Dequantize(tensor.Name);
                var baseValues = b?.Dequantize(tensor.Name);
                var values = inputs.Select(f => f.Dequantize(tensor.Name)).ToArray();
                var scale = values.Max(v => v.Max(Math.Abs));
                for (var j = 0; j < actual.Length; j++)
                {
                    var want = expected(baseValues, values, j);
                    if (Math.Abs(actual[j] - want) > tolerance * Math.Max(1, scale))
                        Assert.Fail($"{tensor.Name}[{j}] = {actual[j]}, the formula gives {want}");
                }
            }
        }
        finally
        {
            foreach (var f in inputs) f.Dispose();
        }
    }
}
