namespace Chorus.Llama.Training;

/// <summary>
/// Cuts a token stream into training windows: inputs of <c>n_ctx</c> tokens and the same tokens shifted by one as labels.
/// When the vocabulary adds a beginning-of-sequence token, every window starts with it, as scored text does.
/// </summary>
internal sealed class TrainingWindows(int[] tokens, int contextSize, int? bos)
{
    private int TextPerWindow => bos is null ? contextSize : contextSize - 1;

    /// <summary>Number of distinct start positions.</summary>
    public int StartCount => Math.Max(0, tokens.Length - TextPerWindow);

    /// <summary>Evenly spaced, non-overlapping starts (at most <paramref name="count"/>) — for held-out scoring.</summary>
    public int[] EvenStarts(int count)
    {
        var fit = tokens.Length / (TextPerWindow + 1);
        var n = Math.Min(count, fit);
        if (n <= 0) return [];
        var stride = tokens.Length / n;
        return [.. Enumerable.Range(0, n).Select(i => i * stride)];
    }

    /// <summary>Writes window <paramref name="start"/> as one datapoint into the I32 data and label buffers.</summary>
    public void Fill(int start, Span<int> data, Span<int> labels)
    {
        var text = tokens.AsSpan(start, TextPerWindow + 1);
        if (bos is int b)
        {
            data[0] = b;
            text[..^1].CopyTo(data[1..]);
            text.CopyTo(labels);
        }
        else
        {
            text[..^1].CopyTo(data);
            text[1..].CopyTo(labels);
        }
    }
}
