using Chorus.Llama.Merging;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Each merge method against values worked out by hand.</summary>
public sealed class MergeKernelTests
{
    private static ReadOnlyMemory<float>[] Models(params float[][] models) => models.Select(m => (ReadOnlyMemory<float>)m).ToArray();

    [Fact]
    public void LinearIsTheNormalisedWeightedMean()
    {
        var output = new float[2];
        LinearMerge.Merge(Models([1, 2], [3, 6]), [1, 3], output);
        Assert.Equal([2.5f, 5f], output); // (1·1 + 3·3)/4, (1·2 + 3·6)/4
    }

    [Fact]
    public void TaskArithmeticAddsWeightedTaskVectorsToTheBase()
    {
        var output = new float[2];
        TaskArithmeticMerge.Merge([1, 1], Models([2, 0], [1, 3]), [0.5, 1], output);
        Assert.Equal([1.5f, 2.5f], output); // 1 + 0.5·1 + 1·0, 1 + 0.5·(−1) + 1·2
    }

    [Fact]
    public void TiesTrimsElectsTheWeightedSignAndAveragesTheAgreeingEntries()
    {
        float[] b = [1, 1, 1, 1];
        // task vectors τ1 = [1, −2, 3, 0.5] and τ2 = [−4, 1, 1, 0.1]; density 0.5 keeps two entries of each:
        // τ̂1 = [0, −2, 3, 0]; τ̂2 = [−4, 1, 0, 0] (|1| ties at indices 1 and 2: the lower index stays)
        var m1 = new float[] { 2, -1, 4, 1.5f };
        var m2 = new float[] { -3, 2, 2, 1.1f };
        var output = new float[4];
        TiesMerge.Merge(b, Models(m1, m2), [1, 1], 0.5, output);
        // votes [−4, −1, 3, 0] → signs [−, −, +, +]; agreeing means: −4, −2, 3, none (0)
        Assert.Equal([-3f, -1f, 4f, 1f], output);
        // weight 3 on the second model flips element 1's vote (−2 + 3 = 1 > 0): only τ̂2's +1 agrees, 3·1/3
        TiesMerge.Merge(b, Models(m1, m2), [1, 3], 0.5, output);
        Assert.Equal([-3f, 2f, 4f, 1f], output);
    }

    [Fact]
    public void TiesTrimKeepsExactlyKEntriesEvenWithTies()
    {
        float[] values = [0.5f, -0.5f, 0.5f, 0.1f, -0.5f, 0.2f];
        TiesMerge.TrimToTopMagnitudes(values, 0.5, new float[6]); // k = 3 of four |0.5|: indices 0, 1, 2 stay
        Assert.Equal([0.5f, -0.5f, 0.5f, 0f, 0f, 0f], values);
    }

    [Fact]
    public void DareAtDensityOneIsTaskArithmetic()
    {
        float[] b = [0.1f, -0.2f, 0.3f];
        var models = Models([1, 2, 3], [-1, 0.5f, 2]);
        var dare = new float[3];
        var arithmetic = new float[3];
        DareMerge.Merge(b, models, [0.3, 0.7], 1.0, seed: 5, tensorIndex: 0, dare);
        TaskArithmeticMerge.Merge(b, models, [0.3, 0.7], arithmetic);
        Assert.Equal(arithmetic, dare);
    }

    [Fact]
    public void DareKeepsAboutDensityOfEachTaskVectorRescaledAndIsSeeded()
    {
        const int n = 20_000;
        const double density = 0.3;
        var b = new float[n];
        var m = Enumerable.Range(0, n).Select(i => 1f + i % 7).ToArray();
        var output = new float[n];
        DareMerge.Merge(b, Models(m), [0.5], density, seed: 9, tensorIndex: 3, output);
        var kept = 0;
        for (var j = 0; j < n; j++)
        {
            if (output[j] == 0) continue;
            kept++;
            Assert.Equal(0.5 * m[j] / density, output[j], 4); // rescaled by 1/density
        }
        // Bernoulli(0.3) over 20,000 entries: σ ≈ 65, so ±400 is a > 6σ band
        Assert.InRange(kept, n * density - 400, n * density + 400);
        var again = new float[n];
        DareMerge.Merge(b, Models(m), [0.5], density, seed: 9, tensorIndex: 3, again);
        Assert.Equal(output, again);
        DareMerge.Merge(b, Models(m), [0.5], density, seed: 10, tensorIndex: 3, again);
        Assert.NotEqual(output, again);
    }

    [Fact]
    public void SlerpFollowsTheArcAndFallsBackToLerpWhenColinear()
    {
        var output = new float[2];
        SlerpMerge.Merge([2, 0], [0, 1], 0.5, output); // θ0 = π/2: s0 = s1 = sin(π/4), applied to the unnormalised tensors
        Assert.Equal(2 * Math.Sqrt(0.5), output[0], 5);
        Assert.Equal(Math.Sqrt(0.5), output[1], 5);
        SlerpMerge.Merge([1, 0], [0, 1], 1.0 / 3, output); // θ0 = π/2, θt = π/6: s0 = sin(π/3), s1 = sin(π/6)
        Assert.Equal(Math.Sin(Math.PI / 3), output[0], 5);
        Assert.Equal(0.5, output[1], 5);
        SlerpMerge.Merge([1, 1], [2, 2], 0.25, output); // colinear: 0.75·a + 0.25·b
        Assert.Equal([1.25f, 1.25f], output);
        SlerpMerge.Merge([3, -1], [0.5f, 2], 0, output);
        Assert.Equal([3f, -1f], output);
    }
}
