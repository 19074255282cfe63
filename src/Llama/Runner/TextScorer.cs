namespace Chorus.Llama;

/// <summary>
/// Per-text scoring result: tokens scored, mean negative log-likelihood (nats), perplexity, and bits per byte over
/// <see cref="ScoredBytes"/> — the UTF-8 bytes of the scored tokens (every token after the first).
/// </summary>
public sealed record TextScore(int TokenCount, int ScoredTokens, double MeanNll, float[] TokenLogProbs, long ScoredBytes)
{
    public double Perplexity => Math.Exp(MeanNll);

    public double BitsPerByte => ByteLoss.BitsPerByte(MeanNll, ScoredTokens, ScoredBytes);
}

/// <summary>
/// Scores a text under one model. Protocol: the text is tokenized as the model expects (BOS added when the
/// vocabulary says so); every token after the first is scored given all tokens before it. A text longer than the
/// context is scored in windows of the context size with a stride of half of it, each token scored once with at
/// least half a context of history (the usual strided-perplexity evaluation). Bits per byte counts the bytes of the
/// text from the second token's offset to the end: with BOS that is the whole text; without it, all but the first
/// token's piece.
/// </summary>
public static class TextScorer
{
    public static TextScore Score(ModelRunner runner, string text, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = runner.Vocabulary.Tokenize(text, addSpecial: true);
        if (tokens.Length < 2)
            throw new ArgumentException($"text is too short to score: it tokenizes to {tokens.Length} token(s), and scoring needs at least 2", nameof(text));
        var score = ScoreTokens(runner, tokens, progress, cancellationToken);
        var offsets = TokenOffsets.Compute(runner.Vocabulary, text, tokens);
        return score with { ScoredBytes = ByteLoss.Utf8Bytes(text, offsets[1]) };
    }

    /// <summary>Scores tokens without their text: the scored bytes are those of the scored tokens' pieces.</summary>

    public static TextScore ScoreTokens(ModelRunner runner, int[] tokens, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        var window = runner.SequenceContextSize;
        var stride = Math.Max(1, window / 2);
        var logProbs = new float[tokens.Length];
        logProbs[0] = float.NaN;
        var scoredUpTo = 1; // tokens [1, scoredUpTo) have a log-prob
        var sequence = runner.Open();
        try
        {
            for (var start = 0; scoredUpTo < tokens.Length; start += stride)
            {
                var end = Math.Min(tokens.Length, start + window);
                runner.Truncate(sequence, 0);
                var result = runner.Prefill(sequence, tokens.AsSpan(start, end - start), DistributionRequest.Top(1), cancellationToken: cancellationToken);
                for (var i = Math.Max(scoredUpTo, start + 1); i < end; i++) logProbs[i] = result.TokenLogProbs[i - start];
                scoredUpTo = end;
                progress?.Report((scoredUpTo, tokens.Length));
            }
        }
        finally
        {
            runner.Release(sequence);
        }
        double sum = 0;
        for (var i = 1; i < logProbs.Length; i++) sum -= logProbs[i];
        var scored = logProbs.Length - 1;
        long bytes = 0;
        for (var i = 1; i < tokens.Length; i++) bytes += runner.Vocabulary.TokenBytes(tokens[i]).Length;
        return new TextScore(tokens.Length, scored, sum / scored, logProbs, bytes);
    }
}
