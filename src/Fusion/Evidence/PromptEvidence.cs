namespace Chorus.Fusion;

/// <summary>
/// What one member saw of the prompt, in its own tokenization: token ids, the log-probability it gave each token
/// (NaN where it gave none — usually the first), each token's character offset in the prompt text, and optionally
/// the whole distribution it predicted at each position (needed by <c>packllm-opt</c>).
/// </summary>
public sealed class PromptEvidence
{
    public PromptEvidence(int[] tokenIds, float[] logProbs, int[] charOffsets, IReadOnlyList<TokenDistribution?>? positions = null)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(charOffsets);
        if (logProbs.Length != tokenIds.Length || charOffsets.Length != tokenIds.Length)
            throw new ArgumentException($"prompt evidence needs one log-prob and one offset per token (tokens {tokenIds.Length}, log-probs {logProbs.Length}, offsets {charOffsets.Length})");
        if (positions is not null && positions.Count != tokenIds.Length)
            throw new ArgumentException($"prompt evidence needs one predicted distribution per token or none (tokens {tokenIds.Length}, distributions {positions.Count})");
        foreach (var lp in logProbs)
            if (lp > 1e-4f || float.IsPositiveInfinity(lp))
                throw new ArgumentException($"a log-probability must be ≤ 0 (got {lp})", nameof(logProbs));
        TokenIds = tokenIds;
        LogProbs = logProbs;
        CharOffsets = charOffsets;
        Positions = positions;
        double nll = 0;
        var scored = 0;
        foreach (var lp in logProbs)
        {
            if (float.IsNaN(lp)) continue;
            nll -= lp;
            scored++;
        }
        NegativeLogLikelihood = nll;
        ScoredCount = scored;
    }

    public IReadOnlyList<int> TokenIds { get; }

    public IReadOnlyList<float> LogProbs { get; }

    public IReadOnlyList<int> CharOffsets { get; }

    /// <summary>The distribution that predicted token i (entry i), or null where none; null when not collected.</summary>
    public IReadOnlyList<TokenDistribution?>? Positions { get; }

    /// <summary>−Σ log p over the scored tokens.</summary>
    public double NegativeLogLikelihood { get; }

    /// <summary>Tokens with a log-probability.</summary>
    public int ScoredCount { get; }

    /// <summary>Mean token cross-entropy L_k (PackLLM's prompt loss); NaN when no token was scored.</summary>
    public double Loss => ScoredCount == 0 ? double.NaN : NegativeLogLikelihood / ScoredCount;

    /// <summary>Perplexity exp(L_k).</summary>
    public double Perplexity => Math.Exp(Loss);

    /// <summary>
    /// Negative log-likelihood per character of the scored span: comparable across tokenizers, unlike per-token
    /// loss (a tokenizer with longer tokens pays more per token). NaN when no token was scored.
    /// </summary>
    public double LossPerCharacter(int textLength)
    {
        var first = -1;
        for (var i = 0; i < LogProbs.Count; i++) if (!float.IsNaN(LogProbs[i])) { first = i; break; }
        if (first < 0) return double.NaN;
        var chars = Math.Max(1, textLength - CharOffsets[first]);
        return NegativeLogLikelihood / chars;
    }

    /// <summary>
    /// The UTF-8 bytes of <paramref name="promptText"/> that the scored tokens cover: token i spans from its offset
    /// to the next token's (the last to the end of the text).
    /// </summary>
    public int ScoredBytes(string promptText)
    {
        ArgumentNullException.ThrowIfNull(promptText);
        var bytes = 0;
        for (var i = 0; i < LogProbs.Count; i++)
        {
            if (float.IsNaN(LogProbs[i])) continue;
            var start = Math.Clamp(CharOffsets[i], 0, promptText.Length);
            var end = i + 1 < CharOffsets.Count ? Math.Clamp(CharOffsets[i + 1], start, promptText.Length) : promptText.Length;
            bytes += System.Text.Encoding.UTF8.GetByteCount(promptText.AsSpan(start, end - start));
        }
        return bytes;
    }

    /// <summary>Evidence from per-token log-probs only (offsets filled with the token index when unknown).</summary>
    public static PromptEvidence FromLogProbs(int[] tokenIds, float[] logProbs) =>
        new(tokenIds, logProbs, Enumerable.Range(0, tokenIds.Length).ToArray());
}
