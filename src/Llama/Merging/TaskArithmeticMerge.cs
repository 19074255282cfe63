namespace Chorus.Llama.Merging;

/// <summary>Task arithmetic (Ilharco et al.; mergekit's <c>task_arithmetic</c>, not normalised): base + Σ w_i (m_i − base).</summary>
public static class TaskArithmeticMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, Span<float> output)
    {
        TensorMergeChecks.Same(models, weights, output);
        TensorMergeChecks.SameLength(baseModel, output, "base");
        for (var j = 0; j < output.Length; j++)
        {
            var b = baseModel[j];
            var delta = 0.0;
            for (var i = 0; i < models.Count; i++) delta += weights[i] * (models[i].Span[j] - b);
            output[j] = (float)(b + delta);
        }
    }
}
