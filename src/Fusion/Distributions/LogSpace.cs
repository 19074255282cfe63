using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>Log-space helpers over spans shared by the fusion methods.</summary>
public static class LogSpace
{
    /// <summary>
    /// The smallest log-probability a member contributes. Logit mixing multiplies log-probs by weights
    /// that may be 0, and 0 × −∞ is NaN, so every member view is clamped to this finite floor (e^−1e4 is 0 in float).
    /// </summary>
    public const float Floor = -1e4f;

    /// <summary>Turns scores into normalised log-probabilities in place: x − log Σ exp(x).</summary>
    public static void LogSoftmaxInPlace(Span<float> values)
    {
        var lse = TokenDistribution.LogSumExpOf(values);
        TensorPrimitives.Subtract(values, lse, values);
    }

    /// <summary>log Σ exp over a span, using <paramref name="scratch"/> (same length) for the exponentials.</summary>
    public static float LogSumExp(ReadOnlySpan<float> values, Span<float> scratch)
    {
        var max = TensorPrimitives.Max(values);
        if (float.IsNegativeInfinity(max)) return max;
        TensorPrimitives.Subtract(values, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        return max + MathF.Log(TensorPrimitives.Sum(scratch));
    }

    /// <summary>Log-softmax in place, vectorised (the exponentials go through <paramref name="scratch"/>).</summary>
    public static void LogSoftmaxInPlace(Span<float> values, Span<float> scratch)
    {
        var lse = LogSumExp(values, scratch);
        TensorPrimitives.Subtract(values, lse, values);
    }

    /// <summary>
    /// The log-probability given to each token outside a top-k distribution: the known tail mass spread evenly
    /// over the tokens not listed. An estimate (the true tail is never flat), used where a method runs on top-k.
    /// </summary>
    public static float TailLogProb(TokenDistribution distribution)
    {
        var rest = distribution.VocabularySize - distribution.TopTokens.Length;
        if (rest <= 0) return Floor;
        var tail = distribution.TailMass;
        if (tail <= 0) return Floor;
        return Math.Max(Floor, MathF.Log(tail / rest));
    }

    /// <summary>The probability of the member's most probable token.</summary>
    public static float TopProbability(TokenDistribution distribution)
    {
        if (distribution.IsFull)
            return MathF.Exp(TensorPrimitives.Max(distribution.Logits) - distribution.LogSumExp);
        return MathF.Exp(distribution.TopLogProbs[0]);
    }

    /// <summary>Writes a member's log-probabilities over its own vocabulary (top-k: tail estimate elsewhere), floored.</summary>
    public static void WriteLogProbs(TokenDistribution distribution, Span<float> destination)
    {
        if (destination.Length != distribution.VocabularySize)
            throw new ArgumentException($"destination holds {destination.Length} tokens, the distribution {distribution.VocabularySize}");
        if (distribution.IsFull)
        {
            TensorPrimitives.Subtract(distribution.Logits, distribution.LogSumExp, destination);
            TensorPrimitives.Max(destination, Floor, destination);
            return;
        }
        destination.Fill(TailLogProb(distribution));
        var ids = distribution.TopTokens;
        var lps = distribution.TopLogProbs;
        for (var i = 0; i < ids.Length; i++) destination[ids[i]] = Math.Max(Floor, lps[i]);
    }
}
