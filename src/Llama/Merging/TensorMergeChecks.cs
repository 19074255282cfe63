namespace Chorus.Llama.Merging;

/// <summary>Argument checks shared by the per-tensor merges: every input has the output's length, one weight per model.</summary>
internal static class TensorMergeChecks
{
    public static void Same(IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("nothing to merge: no models");
        if (weights.Length != models.Count) throw new ArgumentException($"{models.Count} models but {weights.Length} weights");
        for (var i = 0; i < models.Count; i++)
        {
            if (models[i].Length != output.Length)
                throw new ArgumentException($"model {i} has {models[i].Length} values, the output {output.Length}");
            if (!double.IsFinite(weights[i])) throw new ArgumentException($"weight {i} is {weights[i]}; weights must be finite");
        }
    }

    public static void SameLength(ReadOnlySpan<float> input, Span<float> output, string what)
    {
        if (input.Length != output.Length) throw new ArgumentException($"{what} has {input.Length} values, the output {output.Length}");
    }

    public static void Density(double density)
    {
        if (!(density > 0 && density <= 1)) throw new ArgumentException($"density must be in (0, 1], not {density}");
    }
}
