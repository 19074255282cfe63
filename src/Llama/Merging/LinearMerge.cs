using System.Numerics.Tensors;

namespace Chorus.Llama.Merging;

/// <summary>mergekit's <c>linear</c>: Σ w_i m_i / Σ w_i, or Σ w_i m_i with <c>normalize</c> off.</summary>
public static class LinearMerge
{
    public static void Merge(IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, Span<float> output, bool normalize = true)
    {
        TensorMergeChecks.Same(models, weights, output);
        var total = 0.0;
        foreach (var w in weights) total += w;
        if (!normalize) total = 1;
        if (Math.Abs(total) < 1e-12) throw new ArgumentException("linear merge weights sum to zero; nothing to normalise by (or pass normalize off)");
        output.Clear();
        for (var i = 0; i < models.Count; i++)
            TensorPrimitives.MultiplyAdd(models[i].Span, (float)(weights[i] / total), output, output);
    }
}
