namespace Chorus.Llama;

/// <summary>Per-text scoring result: tokens scored, mean negative log-likelihood (nats) and perplexity.</summary>
public sealed record TextScore(int TokenCount, int ScoredTokens, double MeanNll, float[] TokenLogProbs)
{
    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>
/// Scores a text under one model. Protocol: the text is tokenized as the model expects (BOS added when the
/// vocabulary says so); every token after the first is scored given all tokens before it. A text longer than the
/// context is scored in windows of the context size with a stride of half of it, each token scored once with at
/// least half a context of history (the usual strided-perplexity evaluation).
/// </summary>
public static class TextScorer
{
    public static TextScore Score(ModelRunner runner, string text, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = runner.Vocabulary.Tokenize(text, addSpecial: true);
        if (tokens.Length < 2)
            throw new ArgumentException($"text is too short to score: it tokenizes to {tokens.Length} token(s), and scoring needs at least 2", nameof(text));
        return ScoreTokens(runner, tokens, progress, cancellationToken);
    }

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
        return new TextScore(tokens.Length, scored, sum / scored, logProbs);
    }
}
