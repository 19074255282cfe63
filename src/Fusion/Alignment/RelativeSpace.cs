using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// One member's DeePEn relative representation, computed per token on demand instead of as the reference's dense
/// |V| × |A| matrix: row(t) = softmax(sharpness · cos(e_t, e_a)) over the anchors a, kept sparse (its
/// <c>rowEntries</c> largest entries, renormalised — at sharpness 100 a row's mass sits on a handful of anchors)
/// in a bounded cache that is emptied when full.
/// </summary>
/// <remarks>
/// Memory per member: |A| × 8 bytes (anchor ids and inverse norms) + |A| × 8 (score buffers) +
/// cacheRows × rowEntries × 8 (+ the cache's index) — e.g. 100k anchors, 16k rows × 32 entries: about 6 MiB.
/// The embedding matrix is the caller's and is not copied. A cold row costs |A| × dim multiply-adds.
/// </remarks>
public sealed class RelativeSpace
{
    private readonly TokenEmbeddings _embeddings;
    private readonly int[] _anchors;
    private readonly float[] _anchorInverseNorms;
    private readonly float _sharpness;
    private readonly int _rowEntries;
    private readonly int _cacheRows;
    private readonly Dictionary<int, int> _slots;
    private readonly int[] _entryAnchors;
    private readonly float[] _entryWeights;
    private readonly int[] _entryCounts;
    private readonly float[] _scores;
    private readonly float[] _scratch;
    private readonly int[] _topIds;

    public RelativeSpace(TokenEmbeddings embeddings, ReadOnlySpan<int> anchors, float sharpness = 100f, int rowEntries = 32, int cacheRows = 16384)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (anchors.Length == 0) throw new ArgumentException("a relative space needs at least one anchor", nameof(anchors));
        _embeddings = embeddings;
        _anchors = anchors.ToArray();
        _sharpness = sharpness;
        _rowEntries = Math.Min(rowEntries, anchors.Length);
        _cacheRows = cacheRows;
        _anchorInverseNorms = new float[_anchors.Length];
        for (var a = 0; a < _anchors.Length; a++) _anchorInverseNorms[a] = InverseNorm(embeddings.Row(_anchors[a]));
        _slots = new Dictionary<int, int>(cacheRows);
        _entryAnchors = new int[cacheRows * _rowEntries];
        _entryWeights = new float[cacheRows * _rowEntries];
        _entryCounts = new int[cacheRows];
        _scores = new float[_anchors.Length];
        _scratch = new float[_anchors.Length];
        _topIds = new int[_rowEntries];
    }

    public int AnchorCount => _anchors.Length;

    /// <summary>Bytes this object holds (the embedding matrix excluded: it is the caller's).</summary>
    public long MemoryBytes =>
        (long)_anchors.Length * 4 * 4 + (long)_entryAnchors.Length * 8 + (long)_entryCounts.Length * 4 + (long)_cacheRows * 24 + _topIds.Length * 4;

    /// <summary>Row t of the relative matrix: anchor indexes and weights (sparse, sums to 1). Valid until the next call that misses the cache.</summary>
    public (ReadOnlyMemory<int> Anchors, ReadOnlyMemory<float> Weights) Row(int token)
    {
        if (!_slots.TryGetValue(token, out var slot))
        {
            if (_slots.Count >= _cacheRows) _slots.Clear(); // bounded: start over rather than grow
            slot = _slots.Count;
            Compute(token, slot);
            _slots[token] = slot;
        }
        var start = slot * _rowEntries;
        return (_entryAnchors.AsMemory(start, _entryCounts[slot]), _entryWeights.AsMemory(start, _entryCounts[slot]));
    }

    private void Compute(int token, int slot)
    {
        var row = _embeddings.Row(token);
        var scale = _sharpness * InverseNorm(row);
        for (var a = 0; a < _anchors.Length; a++)
            _scores[a] = TensorPrimitives.Dot(row, _embeddings.Row(_anchors[a])) * _anchorInverseNorms[a] * scale;
        var count = TopKSelector.Select(_scores, _topIds, _scratch);
        var lse = LogSpace.LogSumExp(_scores, _scratch);
        var start = slot * _rowEntries;
        float kept = 0;
        for (var i = 0; i < count; i++)
        {
            var w = MathF.Exp(_scores[_topIds[i]] - lse);
            _entryAnchors[start + i] = _topIds[i];
            _entryWeights[start + i] = w;
            kept += w;
        }
        for (var i = 0; i < count; i++) _entryWeights[start + i] /= kept; // renormalise what the sparse row keeps
        _entryCounts[slot] = count;
    }

    private static float InverseNorm(ReadOnlySpan<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        return norm > 0 ? 1f / norm : 0f;
    }
}
