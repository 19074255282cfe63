namespace Chorus.Fusion;

/// <summary>
/// Draws tokens from log-probabilities with temperature, top-k, min-p and top-p, in that order, from a seeded
/// xoshiro256** stream (one per request). Scalar double arithmetic in a fixed order, ties broken by the lower
/// token id, so a seed gives the same tokens for the same inputs on every run. Buffers grow to the largest
/// vocabulary seen and are reused; not thread-safe.
/// </summary>
/// <remarks>
/// Tokens whose probability is below 1e-12 of the top token's (after temperature) are never drawn: they would
/// cost a full sort of the vocabulary and together carry less than 2e-7 of the mass at 152k tokens.
/// </remarks>
public sealed class Sampler
{
    private static readonly float NegligibleLog = MathF.Log(1e-12f);
    private readonly SamplerOptions _options;
    private Xoshiro256 _random;
    private int[] _ids = [];
    private float[] _scaled = [];

    public Sampler(SamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new Xoshiro256(options.Seed);
    }

    public SamplerOptions Options => _options;

    /// <summary>Picks a token from normalised (or unnormalised) log-probabilities; −∞ entries are never picked.</summary>
    public int Sample(ReadOnlySpan<float> logProbs)
    {
        var kept = Filter(logProbs, out var best, out var top, out var total);
        if (kept == 0) return best;
        var u = _random.NextDouble() * total;
        double running = 0;
        for (var i = 0; i < kept; i++)
        {
            running += Math.Exp(_scaled[_ids[i]] - top);
            if (u < running) return _ids[i];
        }
        return _ids[kept - 1]; // u landed on the rounding edge of the last interval
    }

    /// <summary>True when every draw is the arg-max (temperature 0 or top-k 1).</summary>
    public bool IsGreedy => _options.Temperature == 0 || _options.TopK == 1;

    /// <summary>
    /// Writes the probability with which <see cref="Sample"/> draws each token from <paramref name="logProbs"/> into
    /// <paramref name="probabilities"/> (same length; 0 for tokens it never draws) — the target and proposal
    /// distributions of speculative sampling.
    /// </summary>
    public void Probabilities(ReadOnlySpan<float> logProbs, Span<double> probabilities)
    {
        if (probabilities.Length != logProbs.Length) throw new ArgumentException($"need {logProbs.Length} entries, got {probabilities.Length}", nameof(probabilities));
        probabilities.Clear();
        var kept = Filter(logProbs, out var best, out var top, out var total);
        if (kept == 0) { probabilities[best] = 1; return; }
        for (var i = 0; i < kept; i++) probabilities[_ids[i]] = Math.Exp(_scaled[_ids[i]] - top) / total;
    }

    /// <summary>A uniform draw in [0, 1) from this request's stream.</summary>
    public double NextUniform() => _random.NextDouble();

    // Temperature, top-k, min-p and top-p: the kept tokens (most probable first) in _ids with their scaled logits in
    // _scaled and their unnormalised total relative to the top; 0 when the draw is the arg-max (best).
    private int Filter(ReadOnlySpan<float> logProbs, out int best, out float top, out double total)
    {
        if (logProbs.Length == 0) throw new ArgumentException("cannot sample from an empty distribution", nameof(logProbs));
        best = ArgMax(logProbs);
        top = 0;
        total = 0;
        if (_options.Temperature == 0 || _options.TopK == 1 || float.IsNegativeInfinity(logProbs[best])) return 0;

        if (_ids.Length < logProbs.Length) { _ids = new int[logProbs.Length]; _scaled = new float[logProbs.Length]; }
        var inverseT = 1f / _options.Temperature;
        top = logProbs[best] * inverseT;
        var count = 0;
        for (var t = 0; t < logProbs.Length; t++)
        {
            var s = logProbs[t] * inverseT;
            if (s - top < NegligibleLog) continue;
            _ids[count] = t;
            _scaled[t] = s;
            count++;
        }
        var ids = _ids.AsSpan(0, count);
        HeapSort(ids, _scaled);
        if (_options.TopK > 0) count = Math.Min(count, _options.TopK);

        // Probabilities relative to the top token (p_0 = 1), then min-p and top-p cut-offs.
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            var p = Math.Exp(_scaled[_ids[i]] - top);
            if (p < _options.MinP) break;
            total += p;
            kept++;
        }
        if (_options.TopP is > 0 and < 1)
        {
            double cumulative = 0;
            for (var i = 0; i < kept; i++)
            {
                cumulative += Math.Exp(_scaled[_ids[i]] - top) / total;
                if (cumulative >= _options.TopP) { kept = i + 1; break; }
            }
            total = 0;
            for (var i = 0; i < kept; i++) total += Math.Exp(_scaled[_ids[i]] - top);
        }
        return kept;
    }

    /// <summary>Index of the largest value, lowest index on ties; NaN is never chosen.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        var bestValue = float.NegativeInfinity;
        for (var i = 0; i < values.Length; i++)
            if (values[i] > bestValue) { bestValue = values[i]; best = i; }
        return best;
    }

    // Sorts ids by score descending, then id ascending: a total order, so the result is the same on any runtime.
    // Heap sort in place: no allocation (Span.Sort with a comparer boxes it).
    private static void HeapSort(Span<int> ids, float[] scores)
    {
        for (var i = ids.Length / 2 - 1; i >= 0; i--) SiftDown(ids, scores, i, ids.Length);
        for (var end = ids.Length - 1; end > 0; end--)
        {
            (ids[0], ids[end]) = (ids[end], ids[0]);
            SiftDown(ids, scores, 0, end);
        }
    }

    // A min-heap on the order (the "smallest" is the least probable), so popping to the end leaves most probable first.
    private static void SiftDown(Span<int> ids, float[] scores, int i, int n)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < n && Before(ids[m], ids[l], scores)) m = l;
            if (r < n && Before(ids[m], ids[r], scores)) m = r;
            if (m == i) return;
            (ids[i], ids[m]) = (ids[m], ids[i]);
            i = m;
        }
    }

    // True when a comes before b in the final order (more probable, or as probable with a lower id).
    private static bool Before(int a, int b, float[] scores) => scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
}
