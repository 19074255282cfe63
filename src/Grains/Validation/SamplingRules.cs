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
            throw RequestValidator.Invalid($"temperature must be a finite number in [0, {MaxTemperature}] (0 = greedy), got {sampling.Temperature}; send e.g. 0.7");
        if (sampling.TopK < 0)
            throw RequestValidator.Invalid($"top_k must be ≥ 0 (0 = off), got {sampling.TopK}; send e.g. 40, or 0 to keep every token");
        if (!float.IsFinite(sampling.TopP) || sampling.TopP < 0 || sampling.TopP > 1)
            throw RequestValidator.Invalid($"top_p must be a finite number in [0, 1] (0 or 1 = off), got {sampling.TopP}; send e.g. 0.95");
        if (!float.IsFinite(sampling.MinP) || sampling.MinP < 0 || sampling.MinP > 1)
            throw RequestValidator.Invalid($"min_p must be a finite number in [0, 1] (0 = off), got {sampling.MinP}; send e.g. 0.05");
    }

    public static void CheckLimits(int maxTokens, int deadlineMilliseconds, string[]? stop, SessionOptions limits)
    {
        if (maxTokens < 0 || maxTokens > limits.MaxTokensLimit)
            throw RequestValidator.Invalid(
                $"max_tokens must be in [0, {limits.MaxTokensLimit}] (0 = the default of {limits.DefaultMaxTokens}; the top is Chorus:Sessions:MaxTokensLimit), got {maxTokens}; ask for fewer tokens");
        if (deadlineMilliseconds < 0)
            throw RequestValidator.Invalid($"deadline_ms must be ≥ 0 (0 = no deadline beyond the call's own), got {deadlineMilliseconds}");
        if (stop is null) return;
        if (stop.Length > limits.MaxStopStrings)
            throw RequestValidator.Invalid($"stop has {stop.Length} strings; at most {limits.MaxStopStrings} are allowed (Chorus:Sessions:MaxStopStrings); send fewer");
        for (var i = 0; i < stop.Length; i++)
            TextRules.Bounded(stop[i], $"stop[{i}]", limits.MaxStopStringBytes, allowEmpty: false);
    }
}
