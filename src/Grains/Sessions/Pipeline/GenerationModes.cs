using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Which modes a request combines, checked before any work: every combination of method, mode (token, speculative,
/// byte), input (prompt, chat) and decoding (greedy, seeded sampling, log-probabilities) runs through the one
/// <see cref="GenerationLoop"/>, except the few refused here, each for a reason the refusal names (docs/cluster.md, "What
/// combines with what").
/// </summary>
internal static class GenerationModes
{
    public static void Check(GenerationRequest request, FusionMethod method)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Speculate is < 0 or > SpeculativeStepper.MaxDraft)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"speculate must be between 0 (off) and {SpeculativeStepper.MaxDraft} drafted tokens per round, got {request.Speculate}")
            { Field = "speculate" };
        if (request.Speculate == 0 && !string.IsNullOrWhiteSpace(request.Drafter))
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"a drafter ('{request.Drafter}') only drafts with speculate > 0; set speculate to the tokens per round")
            { Field = "drafter" };
        // a round verifies k drafts in one decode, and each position's penalties depend on the drafts before it
        if (request.Speculate > 0 && request.Sampling.HasPenalties)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                "speculate does not apply repetition, presence or frequency penalties yet (each drafted position would need the penalties of the drafts before it); drop the penalties, or set speculate to 0")
            { Field = "speculate" };
        if (method is not ByteMethod) return;
        // byte fusion draws one byte at a time from a mixture over every member's tokenizations: there are no tokens of
        // one vocabulary to draft, to penalise or to report log-probabilities for
        if (request.Speculate > 0)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                "method 'byte' draws bytes, and speculative drafts are tokens of one vocabulary: they cannot be verified byte by byte; set speculate to 0, or choose a token-level method")
            { Field = "speculate" };
        if (request.Sampling.HasPenalties)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                "method 'byte' draws bytes, not tokens: repetition, presence and frequency penalties count tokens and have none to count there; drop the penalties, or choose a token-level method")
            { Field = "penalties" };
        if (request.TopLogProbs >= 0)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                "method 'byte' draws bytes, not tokens of a vocabulary: there are no token log-probabilities to report; drop logprobs, or choose a token-level method")
            { Field = "logprobs" };
    }
}
