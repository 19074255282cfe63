using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Which decoding modes combine, checked up front: a combination that cannot work is refused with the reason before a
/// session starts, never silently dropped (the byte loop, for one, would otherwise ignore <c>speculate</c> and
/// <c>logprobs</c>). Combinations the session layer does not serve yet stay its own refusals until it does.
/// </summary>
internal static class ModeRules
{
    /// <summary>The most tokens one speculative round may draft.</summary>
    public const int MaxDraft = 32;

    /// <summary>The rules that need no method: the range of <c>speculate</c> and what a drafter needs.</summary>
    public static void CheckSpeculation(GenerationRequest request)
    {
        if (request.Speculate is < 0 or > MaxDraft)
            throw RequestValidator.Invalid($"speculate must be between 0 (off) and {MaxDraft} drafted tokens per round, got {request.Speculate}", "speculate");
        if (request.Speculate == 0 && !string.IsNullOrWhiteSpace(request.Drafter))
            throw RequestValidator.Invalid($"a drafter ('{request.Drafter}') only drafts with speculate > 0; set speculate to the tokens per round", "drafter");
        if (request.Speculate > 0 && request.Sampling?.HasPenalties == true)
            throw RequestValidator.Invalid(
                "speculate does not apply repetition, presence or frequency penalties yet (each drafted position would need the penalties of the drafts before it); drop the penalties, or set speculate to 0",
                "speculate");
    }

    /// <summary>The rules of the resolved method: byte-level fusion draws bytes, so token-level modes have nothing to act on.</summary>
    public static void CheckMethod(GenerationRequest request, FusionMethod method)
    {
        if (method is not ByteMethod) return;
        if (request.Sampling?.HasPenalties == true)
            throw RequestValidator.Invalid(
                "method 'byte' draws bytes, not tokens: repetition, presence and frequency penalties count tokens and have none to count there; drop the penalties, or choose a token-level method",
                "penalties");
        if (request.Speculate > 0)
            throw RequestValidator.Invalid(
                "method 'byte' draws bytes, not tokens, and speculate drafts tokens of the main member's vocabulary; set speculate to 0, or choose a token-level method",
                "speculate");
        if (request.TopLogProbs >= 0)
            throw RequestValidator.Invalid(
                "method 'byte' draws bytes, not tokens, and reports no token log-probabilities; drop logprobs, or choose a token-level method",
                "logprobs");
    }
}
