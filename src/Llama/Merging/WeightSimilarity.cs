using Chorus.Llama.Gguf;

namespace Chorus.Llama.Merging;

/// <summary>
/// Model-GLUE's weight similarity (<c>get_sim</c> with <c>per_column=True</c>, as its clustering calls it): for every attention
/// and feed-forward matrix, the cosine similarity of each column of the PyTorch-layout weight [out, in] — in GGUF's layout, the
/// values at one position of every row — averaged over the columns; then averaged over the matrices. Norms are left out, as
/// Model-GLUE's name filter ('self_attn', 'mlp') leaves out the layer norms.
/// </summary>
public static class WeightSimilarity
{
    /// <summary>The mean per-column cosine of the two files' attention and MLP weights (the files must be merge-compatible).</summary>
    public static double Compute(GgufFile a, GgufFile b)
    {
        MergeCompatibility.Check([a, b]);
        var sum = 0.0;
        var count = 0;
        foreach (var tensor in a.Tensors.Where(Counts))
        {
            sum += MeanColumnCosine(a.Dequantize(tensor.Name), b.Dequantize(tensor.Name), (int)tensor.RowLength);
            count++;
        }
        if (count == 0) throw new ArgumentException($"'{Path.GetFileName(a.Path)}' has no attention or feed-forward weights to compare");
        return sum / count;
    }

    public static double Compute(string a, string b)
    {
        using var x = GgufFile.Open(a);
        using var y = GgufFile.Open(b);
        return Compute(x, y);
    }

    /// <summary>The similarity, or null when the two cannot be merged at all (another architecture, shape or vocabulary).</summary>
    public static double? ComputeIfMergeable(string a, string b)
    {
        using var x = GgufFile.Open(a);
        using var y = GgufFile.Open(b);
        return MergeCompatibility.FirstProblem([x, y]) is null ? Compute(x, y) : null;
    }

    /// <summary>Whether a tensor is one of Model-GLUE's 'self_attn' / 'mlp' weights.</summary>
    internal static bool Counts(GgufTensorInfo tensor) =>
        (tensor.Name.Contains(".attn_", StringComparison.Ordinal) || tensor.Name.Contains(".ffn_", StringComparison.Ordinal))
        && !tensor.Name.Contains("norm", StringComparison.Ordinal);

    /// <summary>Mean over the <paramref name="rowLength"/> columns of cos(column of x, column of y); torch's eps guards zero columns.</summary>
    internal static double MeanColumnCosine(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rowLength)
    {
        var dot = new double[rowLength];
        var nx = new double[rowLength];
        var ny = new double[rowLength];
        for (var start = 0; start < x.Length; start += rowLength)
        {
            var rx = x.Slice(start, rowLength);
            var ry = y.Slice(start, rowLength);
            for (var j = 0; j < rowLength; j++)
            {
                dot[j] += (double)rx[j] * ry[j];
                nx[j] += (double)rx[j] * rx[j];
                ny[j] += (double)ry[j] * ry[j];
            }
        }
        const double Epsilon = 1e-8; // torch.nn.functional.cosine_similarity's default
        var sum = 0.0;
        for (var j = 0; j < rowLength; j++)
            sum += dot[j] / (Math.Max(Math.Sqrt(nx[j]), Epsilon) * Math.Max(Math.Sqrt(ny[j]), Epsilon));
        return sum / rowLength;
    }
}
