namespace Chorus.Fusion;

/// <summary>
/// Repetition, presence and frequency penalties on a fused distribution, with vLLM's semantics: the repetition penalty
/// θ covers every token of the prompt and of the completion so far (a score s becomes s/θ when positive, s·θ otherwise,
/// as in CTRL and Hugging Face); the presence penalty p and the frequency penalty f cover the completion only and
/// subtract p once and f per occurrence (OpenAI's definition). Neutral values (θ = 1, p = f = 0) change nothing.
/// </summary>
/// <remarks>
/// The scores are the fused log-probabilities, not one model's logits: a fused distribution has no logits. Presence and
/// frequency are shifts, so they act exactly as on logits (softmax ignores a common offset). The repetition penalty is
/// not shift-invariant; on log-probabilities (all ≤ 0) it multiplies a repeated token's log-probability by θ, i.e. raises
/// its probability to the power θ — the form Hugging Face's beam search applies to its log-softmax scores.
/// Cost per step: one copy of the distribution and one update per distinct token seen, not a pass over the vocabulary.
/// </remarks>
public sealed class TokenPenalties
{
    /// <summary>The range OpenAI allows for presence and frequency penalties.</summary>
    public const float MaxAdditive = 2;

    private readonly float _repetition;
    private readonly float _presence;
    private readonly float _frequency;
    private readonly int[] _completionCounts;
    private readonly bool[] _seen;
    private readonly List<int> _seenTokens = [];

    public TokenPenalties(int vocabularySize, float repetition, float presence, float frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        Validate(repetition, presence, frequency);
        _repetition = repetition;
        _presence = presence;
        _frequency = frequency;
        _completionCounts = new int[vocabularySize];
        _seen = new bool[vocabularySize];
    }

    /// <summary>Throws with the fix when a penalty is out of range.</summary>
    public static void Validate(float repetition, float presence, float frequency)
    {
        if (!float.IsFinite(repetition) || repetition <= 0)
            throw new FusionParameterException($"repetition_penalty must be a finite number > 0 (1 = off, > 1 discourages repeats), got {repetition}; send e.g. 1.1");
        if (!float.IsFinite(presence) || Math.Abs(presence) > MaxAdditive)
            throw new FusionParameterException($"presence_penalty must be in [-{MaxAdditive}, {MaxAdditive}] (0 = off), got {presence}; send e.g. 0.5");
        if (!float.IsFinite(frequency) || Math.Abs(frequency) > MaxAdditive)
            throw new FusionParameterException($"frequency_penalty must be in [-{MaxAdditive}, {MaxAdditive}] (0 = off), got {frequency}; send e.g. 0.5");
    }

    /// <summary>Records the prompt's tokens (they count for the repetition penalty only).</summary>
    public void AddPrompt(ReadOnlySpan<int> tokens)
    {
        foreach (var t in tokens) See(t);
    }

    /// <summary>Records a token of the completion.</summary>
    public void AddGenerated(int token)
    {
        See(token);
        if ((uint)token < (uint)_completionCounts.Length) _completionCounts[token]++;
    }

    /// <summary>Writes <paramref name="scores"/> with the penalties applied into <paramref name="penalised"/> (same length).</summary>
    public void Apply(ReadOnlySpan<float> scores, Span<float> penalised)
    {
        if (penalised.Length != scores.Length) throw new ArgumentException($"need {scores.Length} entries, got {penalised.Length}", nameof(penalised));
        scores.CopyTo(penalised);
        foreach (var t in _seenTokens)
        {
            if (t >= penalised.Length) continue;
            var s = penalised[t];
            if (float.IsNegativeInfinity(s)) continue;
            if (_repetition != 1) s = s > 0 ? s / _repetition : s * _repetition;
            var count = _completionCounts[t];
            if (count > 0) s -= _frequency * count + _presence;
            penalised[t] = s;
        }
    }

    private void See(int token)
    {
        if ((uint)token >= (uint)_seen.Length || _seen[token]) return;
        _seen[token] = true;
        _seenTokens.Add(token);
    }
}
