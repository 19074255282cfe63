namespace Chorus.Llama.Merging;

/// <summary>Task arithmetic (Ilharco et al.; mergekit's <c>task_arithmetic</c>, not normalised): base + Σ w_i (m_i − base).</summary>
public static class TaskArithmeticMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, Span<float> output) =>
        TaskVectorMerge.Merge(baseModel, models, weights, MergeMethod.TaskArithmetic.Defaults(1), 0, output);
}
