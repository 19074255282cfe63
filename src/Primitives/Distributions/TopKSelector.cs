namespace Chorus.Primitives;

/// <summary>
/// Selects the k largest values of a span into caller-owned buffers (no allocation): a min-heap of size k,
/// O(V log k). Ties keep the lower token id so the selection is deterministic.
/// </summary>
public static class TopKSelector
{
    /// <summary>Writes the ids of the k largest values, largest first, into <paramref name="ids"/>; returns how many.</summary>
    public static int Select(ReadOnlySpan<float> values, Span<int> ids, Span<float> scratchValues)
    {
        var k = Math.Min(ids.Length, values.Length);
        if (scratchValues.Length < k) throw new ArgumentException("scratch must hold k values", nameof(scratchValues));
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsNaN(v)) continue;
            if (count < k)
            {
                ids[count] = i; scratchValues[count] = v; count++;
                SiftUp(ids, scratchValues, count - 1);
            }
            else if (v > scratchValues[0])
            {
                ids[0] = i; scratchValues[0] = v;
                SiftDown(ids, scratchValues, k, 0);
            }
        }
        // Heap-sort in place: repeatedly move the smallest to the end, leaving largest first.
        for (var n = count - 1; n > 0; n--)
        {
            Swap(ids, scratchValues, 0, n);
            SiftDown(ids, scratchValues, n, 0);
        }
        return count;
    }

    private static bool Less(Span<float> vals, Span<int> ids, int a, int b) =>
        vals[a] < vals[b] || (vals[a] == vals[b] && ids[a] > ids[b]);

    private static void SiftUp(Span<int> ids, Span<float> vals, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Less(vals, ids, i, parent)) break;
            Swap(ids, vals, i, parent);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> ids, Span<float> vals, int n, int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < n && Less(vals, ids, l, m)) m = l;
            if (r < n && Less(vals, ids, r, m)) m = r;
            if (m == i) return;
            Swap(ids, vals, i, m);
            i = m;
        }
    }

    private static void Swap(Span<int> ids, Span<float> vals, int a, int b)
    {
        (ids[a], ids[b]) = (ids[b], ids[a]);
        (vals[a], vals[b]) = (vals[b], vals[a]);
    }
}
