using Chorus.Llama.Forge;

namespace Chorus.Llama.Merging;

/// <summary>
/// DARE (Yu et al. 2024, "Language Models are Super Mario") as mergekit's <c>dare_linear</c>: each element of each task vector
/// τ_i = m_i − base is kept with probability density (dropped with p = 1 − density) and the kept ones are rescaled by
/// 1/density; out = base + Σ_i w_i τ̃_i (task arithmetic, not normalised). The drop mask is seeded per (seed, tensor, model),
/// so a merge is reproducible on every machine.
/// </summary>
public static class DareMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights,
        double density, ulong seed, int tensorIndex, Span<float> output)
    {
        TensorMergeChecks.Same(models, weights, output);
        TensorMergeChecks.SameLength(baseModel, output, "base");
        TensorMergeChecks.Density(density);
        var delta = new double[output.Length];
        for (var i = 0; i < models.Count; i++)
        {
            var random = new SeededNormal(SeededNormal.StreamSeed(seed, tensorIndex, i));
            var m = models[i].Span;
            var scale = weights[i] / density;
            for (var j = 0; j < delta.Length; j++)
                if (Keeps(ref random, density)) delta[j] += scale * (m[j] - baseModel[j]);
        }
        for (var j = 0; j < output.Length; j++) output[j] = (float)(baseModel[j] + delta[j]);
    }

    /// <summary>One Bernoulli(density) draw; density 1 keeps everything without consuming randomness differently.</summary>
    private static bool Keeps(ref SeededNormal random, double density) => random.NextUniform() < density;
}
