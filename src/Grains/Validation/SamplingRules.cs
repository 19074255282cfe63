using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>Checks of how a token is drawn and when generation stops.</summary>
internal static class SamplingRules
{
    /// <summary>Above this, every token is about equally likely: a larger temperature is a mistake, not a choice.</summary>
    public const float MaxTemperature = 100;

    public static void Check(SamplingSpec sampling)
    {
        if (!float.IsFinite(sampling.Temperature) || sampling.Temperature < 0 || sampling.Temperature > MaxTemperature)
            throw RequestValidator.Invalid($"temperature must be a finite number in [0, {MaxTemperature}] (0 = greedy), got {sampling.Temperature}; send e.g. 0.7", "temperature");
        if (sampling.TopK < 0)
            throw RequestValidator.Invalid($"top_k must be ≥ 0 (0 = off), got {sampling.TopK}; send e.g. 40, or 0 to keep every token", "top_k");
        if (!float.IsFinite(sampling.TopP) || sampling.TopP < 0 || sampling.TopP > 1)
            throw RequestValidator.Invalid($"top_p must be a finite number in [0, 1] (0 or 1 = off), got {sampling.TopP}; send e.g. 0.95", "top_p");
        if (!float.IsFinite(sampling.MinP) || sampling.MinP < 0 || sampling.MinP > 1)
            throw RequestValidator.Invalid($"min_p must be a finite number in [0, 1] (0 = off), got {sampling.MinP}; send e.g. 0.05", "min_p");
        // the same ranges as TokenPenalties.Validate, each error naming its own field
        if (!float.IsFinite(sampling.RepetitionPenalty) || sampling.RepetitionPenalty <= 0)
            throw RequestValidator.Invalid($"repetition_penalty must be a finite number > 0 (1 = off, > 1 discourages repeats), got {sampling.RepetitionPenalty}; send e.g. 1.1", "repetition_penalty");
        Additive(sampling.PresencePenalty, "presence_penalty");
        Additive(sampling.FrequencyPenalty, "frequency_penalty");
    }

    private static void Additive(float penalty, string field)
    {
        if (!float.IsFinite(penalty) || Math.Abs(penalty) > Fusion.TokenPenalties.MaxAdditive)
            throw RequestValidator.Invalid(
                $"{field} must be in [-{Fusion.TokenPenalties.MaxAdditive}, {Fusion.TokenPenalties.MaxAdditive}] (0 = off), got {penalty}; send e.g. 0.5", field);
    }

    public static void CheckLimits(int maxTokens, int deadlineMilliseconds, string[]? stop, SessionOptions limits)
    {
        if (maxTokens < 0 || maxTokens > limits.MaxTokensLimit)
            throw RequestValidator.Invalid(
                $"max_tokens must be in [0, {limits.MaxTokensLimit}] (0 = the default of {limits.DefaultMaxTokens}; the top is Chorus:Sessions:MaxTokensLimit), got {maxTokens}; ask for fewer tokens", "max_tokens");
        if (deadlineMilliseconds < 0)
            throw RequestValidator.Invalid($"deadline_ms must be ≥ 0 (0 = no deadline beyond the call's own), got {deadlineMilliseconds}", "deadline_ms");
        if (stop is null) return;
        if (stop.Length > limits.MaxStopStrings)
            throw RequestValidator.Invalid($"stop has {stop.Length} strings; at most {limits.MaxStopStrings} are allowed (Chorus:Sessions:MaxStopStrings); send fewer", "stop");
        for (var i = 0; i < stop.Length; i++)
            TextRules.Bounded(stop[i], $"stop[{i}]", limits.MaxStopStringBytes, allowEmpty: false);
    }
}
