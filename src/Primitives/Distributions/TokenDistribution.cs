using System.Numerics.Tensors;

namespace Chorus.Primitives;

/// <summary>
/// One member's next-token distribution over its own vocabulary: either the full logits, or the
/// top-k log-probabilities plus the log-sum-exp of the full logits (exact for the top-k, tail mass known).
/// </summary>
public sealed class TokenDistribution
{
    private readonly float[]? _logits;
    private int[]? _topTokens;
    private float[]? _topLogProbs;

    private TokenDistribution(int vocabularySize, float[]? logits, int[]? topTokens, float[]? topLogProbs, float logSumExp)
    {
        VocabularySize = vocabularySize;
        _logits = logits;
        _topTokens = topTokens;
        _topLogProbs = topLogProbs;
        LogSumExp = logSumExp;
    }

    /// <summary>Size of the member's vocabulary (the length of the full logits).</summary>
    public int VocabularySize { get; }

    /// <summary>log Σ exp(z) over the full vocabulary; log p(t) = z_t − LogSumExp.</summary>
    public float LogSumExp { get; }

    /// <summary>True when the full logits are held; false for a top-k distribution.</summary>
    public bool IsFull => _logits is not null;

    /// <summary>The full logits. Throws for a top-k distribution: ask the member for full logits instead.</summary>
    public ReadOnlySpan<float> Logits => _logits ?? throw new InvalidOperationException(
        "this distribution holds only the top-k log-probabilities; request full logits from the member for this method");

    /// <summary>Token ids of the top-k, most probable first (for a full distribution: the top 64, computed on first use).</summary>
    public ReadOnlySpan<int> TopTokens { get { EnsureTop(); return _topTokens; } }

    /// <summary>Log-probabilities of <see cref="TopTokens"/>, in the same order.</summary>
    public ReadOnlySpan<float> TopLogProbs { get { EnsureTop(); return _topLogProbs; } }

    /// <summary>Probability mass outside the top-k (0 for a full distribution's own view of itself).</summary>
    public float TailMass
    {
        get
        {
            if (IsFull) return 0f;
            double sum = 0;
            foreach (var lp in _topLogProbs!) sum += Math.Exp(lp);
            return (float)Math.Max(0, 1 - sum);
        }
    }

    /// <summary>Most probable token.</summary>
    public int ArgMax() => IsFull ? TensorPrimitives.IndexOfMax(_logits!) : _topTokens![0];

    /// <summary>Exact log-probability of a token when known (always for a full distribution; in the top-k otherwise).</summary>
    public bool TryGetLogProb(int token, out float logProb)
    {
        if ((uint)token >= (uint)VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary of {VocabularySize}");
        if (_logits is not null)
        {
            logProb = _logits[token] - LogSumExp;
            return true;
        }
        var index = Array.IndexOf(_topTokens!, token);
        logProb = index >= 0 ? _topLogProbs![index] : float.NegativeInfinity;
        return index >= 0;
    }

    /// <summary>Wraps full logits (the array is owned by the distribution from now on).</summary>
    public static TokenDistribution FromLogits(float[] logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Length == 0) throw new ArgumentException("logits are empty", nameof(logits));
        return new TokenDistribution(logits.Length, logits, null, null, LogSumExpOf(logits));
    }

    /// <summary>
    /// Wraps full logits that arrive with their log-sum-exp already computed by the member that produced them (the wire
    /// carries both): no second pass over the vocabulary. The array is owned by the distribution from now on.
    /// </summary>
    internal static TokenDistribution FromLogits(float[] logits, float logSumExp)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Length == 0) throw new ArgumentException("logits are empty", nameof(logits));
        return new TokenDistribution(logits.Length, logits, null, null, logSumExp);
    }

    /// <summary>The arrays behind the distribution, to hand on without a copy (callers never write to them).</summary>
    internal (float[]? Logits, int[]? TopTokens, float[]? TopLogProbs) Arrays => (_logits, _logits is null ? _topTokens : null, _logits is null ? _topLogProbs : null);

    /// <summary>Copies full logits.</summary>
    public static TokenDistribution FromLogits(ReadOnlySpan<float> logits) => FromLogits(logits.ToArray());

    /// <summary>Keeps the k most probable tokens of full logits, with the exact log-sum-exp of all of them.</summary>
    public static TokenDistribution TopK(ReadOnlySpan<float> logits, int k)
    {
        if (logits.Length == 0) throw new ArgumentException("logits are empty", nameof(logits));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var lse = LogSumExpOf(logits);
        var (ids, lps) = SelectTop(logits, Math.Min(k, logits.Length), lse);
        return new TokenDistribution(logits.Length, null, ids, lps, lse);
    }

    /// <summary>Rebuilds a top-k distribution received over the wire.</summary>
    public static TokenDistribution FromTopK(int vocabularySize, int[] topTokens, float[] topLogProbs, float logSumExp)
    {
        ArgumentNullException.ThrowIfNull(topTokens);
        ArgumentNullException.ThrowIfNull(topLogProbs);
        if (topTokens.Length == 0 || topTokens.Length != topLogProbs.Length)
            throw new ArgumentException($"top-k needs as many log-probs as tokens and at least one (got {topTokens.Length} tokens, {topLogProbs.Length} log-probs)");
        foreach (var t in topTokens)
            if ((uint)t >= (uint)vocabularySize)
                throw new ArgumentOutOfRangeException(nameof(topTokens), t, $"token id outside the vocabulary of {vocabularySize}");
        return new TokenDistribution(vocabularySize, null, topTokens, topLogProbs, logSumExp);
    }

    /// <summary>A top-k view of this distribution (itself when already top-k with at most k entries).</summary>
    public TokenDistribution ToTopK(int k)
    {
        if (_logits is not null) return TopK(_logits, k);
        if (_topTokens!.Length <= k) return this;
        return new TokenDistribution(VocabularySize, null, _topTokens[..k], _topLogProbs![..k], LogSumExp);
    }

    /// <summary>Numerically stable log Σ exp(x).</summary>
    public static float LogSumExpOf(ReadOnlySpan<float> values)
    {
        var max = TensorPrimitives.Max(values);
        if (float.IsNegativeInfinity(max)) return max;
        if (!float.IsFinite(max)) throw new ArgumentException("logits contain NaN or +∞", nameof(values));
        // vectorised exp through a stack buffer: the per-token hot path must not allocate (and scalar Math.Exp
        // over a 32k–152k vocabulary cost more than a GPU decode step)
        Span<float> chunk = stackalloc float[1024];
        double sum = 0;
        for (var i = 0; i < values.Length; i += chunk.Length)
        {
            var part = values.Slice(i, Math.Min(chunk.Length, values.Length - i));
            var exps = chunk[..part.Length];
            TensorPrimitives.Subtract(part, max, exps);
            TensorPrimitives.Exp(exps, exps);
            sum += TensorPrimitives.Sum(exps);
        }
        return max + (float)Math.Log(sum);
    }

    private void EnsureTop()
    {
        if (_topTokens is not null) return;
        var (ids, lps) = SelectTop(_logits!, Math.Min(64, _logits!.Length), LogSumExp);
        _topLogProbs = lps;
        _topTokens = ids;
    }

    // The k largest logits, largest first (ties: lower id first), as log-probabilities.
    private static (int[] Ids, float[] LogProbs) SelectTop(ReadOnlySpan<float> logits, int k, float lse)
    {
        var ids = new int[k];
        var values = new float[k];
        var n = TopKSelector.Select(logits, ids, values);
        var lps = new float[n];
        for (var i = 0; i < n; i++) lps[i] = values[i] - lse;
        return (n == k ? ids : ids[..n], lps);
    }
}
