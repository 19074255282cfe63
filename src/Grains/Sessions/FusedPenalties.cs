using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// A session's <see cref="TokenPenalties"/> in the main member's vocabulary, seeded with the main member's prompt tokens,
/// and the buffer the penalised distribution is drawn from (one per session, reused every step).
/// </summary>
internal sealed class FusedPenalties
{
    private readonly TokenPenalties _penalties;
    private float[] _buffer = [];

    private FusedPenalties(TokenPenalties penalties) => _penalties = penalties;

    /// <summary>The session's penalties, or null when the request asks for none.</summary>
    public static FusedPenalties? For(SamplingSpec sampling, int vocabularySize, int[]? promptTokens)
    {
        if (!sampling.HasPenalties) return null;
        var penalties = new TokenPenalties(vocabularySize, sampling.RepetitionPenalty, sampling.PresencePenalty, sampling.FrequencyPenalty);
        penalties.AddPrompt(promptTokens ?? []);
        return new FusedPenalties(penalties);
    }

    public ReadOnlySpan<float> Apply(ReadOnlySpan<float> logProbs)
    {
        if (_buffer.Length != logProbs.Length) _buffer = new float[logProbs.Length];
        _penalties.Apply(logProbs, _buffer);
        return _buffer;
    }

    public void AddGenerated(int token) => _penalties.AddGenerated(token);
}
