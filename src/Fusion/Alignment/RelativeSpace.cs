using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// One member's DeePEn relative representation, as the reference computes it (DeePEn <c>transfer_matrix.py</c>):
/// row(t) = softmax(sharpness · c / ‖c‖₂) with c_a = cos(e_t, e_a) over the anchors a — cosines, then the row
/// L2-normalised, then ×100 and softmax. Rows are dense over all anchors and computed on demand, not as the
/// reference's |V| × |A| matrix; a computed row is kept in f16 in a bounded cache shared by every request.
/// Thread-safe: one space serves concurrent sessions (see <see cref="RelativeSpaceCache"/>).
/// </summary>
/// <remarks>
/// Memory per member: |A| × 4 bytes (anchor inverse norms; the embedding matrix is the caller's and is not copied)
/// + the row cache, at most <c>rowBudgetBytes</c> (a row is |A| × 2 bytes; the cache starts over when full).
/// At |A| = 152k and the default 64 MiB budget that is 220 rows. A row is stored as Half(w_a / max_a w) with its
/// max as a float, so no entry overflows and the largest ones keep f16's 11-bit precision; entries below 2⁻¹⁴ of the
/// row's max lose relative precision (absolute error ≤ 2⁻²⁵ · max each). The error against f32 rows is measured by
/// a test and in bench/README.md. A cold row costs |A| × dim multiply-adds.
/// </remarks>
public sealed class RelativeSpace
{
    /// <summary>Default row-cache budget per member.</summary>
    public const long DefaultRowBudgetBytes = 64L << 20;

    private readonly TokenEmbeddings _embeddings;
    private readonly int[] _anchors;
    private readonly float[] _anchorInverseNorms;
    private readonly float _sharpness;
    private readonly int _cacheRows;
    private readonly ConcurrentDictionary<int, RelativeRow> _rows = new();

    public RelativeSpace(TokenEmbeddings embeddings, ReadOnlySpan<int> anchors, float sharpness = 100f, long rowBudgetBytes = DefaultRowBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (anchors.Length == 0) throw new ArgumentException("a relative space needs at least one anchor", nameof(anchors));
        _embeddings = embeddings;
        _anchors = anchors.ToArray();
        _sharpness = sharpness;
        _cacheRows = (int)Math.Clamp(rowBudgetBytes / (anchors.Length * 2L), 16, int.MaxValue);
        _anchorInverseNorms = new float[_anchors.Length];
        for (var a = 0; a < _anchors.Length; a++) _anchorInverseNorms[a] = InverseNorm(embeddings.Row(_anchors[a]));
    }

    public int AnchorCount => _anchors.Length;

    /// <summary>Rows the cache holds at most.</summary>
    public int CacheRows => _cacheRows;

    /// <summary>Bytes this object can hold at most (the embedding matrix excluded: it is the caller's).</summary>
    public long MemoryBytes => (long)_anchors.Length * 8 + (long)_cacheRows * (_anchors.Length * 2L + 64);

    /// <summary>Row t of the relative matrix (dense over the anchors, sums to 1 up to f16 rounding).</summary>
    public RelativeRow Row(int token)
    {
        if (_rows.TryGetValue(token, out var row)) return row;
        row = Compute(token);
        if (_rows.Count >= _cacheRows) _rows.Clear(); // bounded: start over rather than grow; rows handed out stay valid
        _rows[token] = row;
        return row;
    }

    /// <summary>Row t in f32 without the cache or f16 storage: the reference's row, to measure the stored one against.</summary>
    public void ExactRow(int token, Span<float> destination)
    {
        if (destination.Length != _anchors.Length) throw new ArgumentException($"a row has {_anchors.Length} entries", nameof(destination));
        Logits(token, destination);
        TensorPrimitives.SoftMax(destination, destination);
    }

    private RelativeRow Compute(int token)
    {
        var logits = ArrayPool<float>.Shared.Rent(_anchors.Length);
        try
        {
            var x = logits.AsSpan(0, _anchors.Length);
            Logits(token, x);
            var max = TensorPrimitives.Max(x);
            double sum = 0;
            for (var a = 0; a < x.Length; a++) sum += x[a] = MathF.Exp(x[a] - max); // relative to the row's max, ≤ 1
            var values = new Half[x.Length];
            for (var a = 0; a < x.Length; a++) values[a] = (Half)x[a];
            return new RelativeRow(values, (float)(1 / sum));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    // sharpness · c / ‖c‖₂, c_a = cos(e_t, e_a): the reference normalises each row of cosines before the temperature.
    private void Logits(int token, Span<float> x)
    {
        var row = _embeddings.Row(token);
        var inverse = InverseNorm(row);
        for (var a = 0; a < _anchors.Length; a++)
            x[a] = TensorPrimitives.Dot(row, _embeddings.Row(_anchors[a])) * _anchorInverseNorms[a] * inverse;
        var norm = TensorPrimitives.Norm(x);
        TensorPrimitives.Multiply(x, norm > 0 ? _sharpness / norm : 0f, x);
    }

    private static float InverseNorm(ReadOnlySpan<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        return norm > 0 ? 1f / norm : 0f;
    }
}

/// <summary>A dense relative row: weight of anchor a = <c>Values[a] · Scale</c>.</summary>
public sealed record RelativeRow(Half[] Values, float Scale)
{
    /// <summary>Writes <c>destination[a] += factor · weight(a)</c>.</summary>
    public void AddTo(Span<double> destination, double factor)
    {
        var f = factor * Scale;
        var v = Values;
        for (var a = 0; a < destination.Length; a++) destination[a] += f * (double)(float)v[a];
    }

    /// <summary>Writes the row's weights into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<double> destination)
    {
        var v = Values;
        for (var a = 0; a < destination.Length; a++) destination[a] = Scale * (double)(float)v[a];
    }
}
