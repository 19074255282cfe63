using System.Numerics.Tensors;

namespace Chorus.Llama.Merging;

/// <summary>mergekit's <c>linear</c> (normalised by default): Σ w_i m_i / Σ w_i.</summary>
public static class LinearMerge
{
    public static void Merge(IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, Span<float> output)
    {
        TensorMergeChecks.Same(models, weights, output);
        var total = 0.0;
        foreach (var w in weights) total += w;
        if (Math.Abs(total) < 1e-12) throw new ArgumentException("linear merge weights sum to zero; nothing to normalise by");
        output.Clear();
        for (var i = 0; i < models.Count; i++)
            TensorPrimitives.MultiplyAdd(models[i].Span, (float)(weights[i] / total), output, output);
    }
}
