using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// Scores a text under a fusion method (teacher forcing, <see cref="TokenScoringStepper"/> through the one
/// <see cref="GenerationLoop"/>). Protocol: the text is tokenized in the main member's
/// vocabulary (with BOS as it expects); the first P tokens (default min(128, n/4), moved forward to a word start)
/// are the prompt every member prefills — prompt-dependent weights (PackLLM, routers) come from it — and each
/// later token is scored by the fused distribution of the step that predicts it, then appended to every member.
/// Each member is also scored alone on the same span, in its own tokenization. Bits per byte divides each score's
/// total NLL (in bits) by the UTF-8 bytes of the span it covers: the text from character offset promptChars to the end
/// for the fused score, and from the member's first scored token to the end for a member — the same span whenever the
/// member's tokenization has a boundary at promptChars (the prompt ends at a word start so that it normally does).
/// </summary>
internal static class FusedScorer
{
    public static async Task<ScoreResult> ScoreAsync(Guid session, IReadOnlyList<MemberPlan> plans, FusionMethod method, ScoreRequest request,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ChorusMetrics metrics, ILogger logger, CancellationToken ct)
    {
        var (text, ids, p, promptChars) = await SplitAsync(plans, request, grains, directory, catalog);

        await using var run = await FusedRun.ResolveAsync(session, plans, method, text[..promptChars], grains, directory, catalog, logger);
        await using var scoring = new TokenScoringStepper(run, catalog, text, ids, p, promptChars);
        await DriveAsync(session, method.Name, scoring, metrics, ct);

        var scored = scoring.Count;
        var members = await Task.WhenAll(run.Members.Select((m, k) => ScoreMember(m, text, promptChars, scoring.WeightSums[k] / scored, ct)));
        var bytes = ByteLoss.Utf8Bytes(text, promptChars);
        return new ScoreResult(method.Name, scored, Math.Exp(scoring.Nll / scored), scoring.Nll / scored, members, scoring.PromptTokens,
            scoring.WeightSums.Select(w => (float)(w / scored)).ToArray(), bytes, ByteLoss.BitsPerByte(scoring.Nll, bytes))
        {
            // PackLLM's reference=best fused (and scored) in another member's tokens than main's: the perplexity is per its token
            Diagnostics = run.MainIndex == run.PlannedMainIndex ? null : new Dictionary<string, double>(StringComparer.Ordinal) { [$"reference.{run.Main.Name}"] = 1 },
        };
    }

    /// <summary>
    /// Runs a teacher-forcing stepper through the <see cref="GenerationLoop"/> to the end of its text: admission (scoring
    /// has no stream to report queue positions on: it just waits), prefill, every step. A text that does not fit a
    /// member's context, or a cancelled request, ends in the error it is.
    /// </summary>
    internal static async Task DriveAsync(Guid session, string method, IGenerationStepper scoring, ChorusMetrics metrics, CancellationToken ct)
    {
        GenerationFinished? finished = null;
        await foreach (var e in new GenerationLoop(LoopOptions.Scoring, int.MaxValue, metrics).RunAsync(session, method, scoring, ct, ct))
            if (e is GenerationFinished f) finished = f;
        switch (finished?.Reason)
        {
            case TokenScoringStepper.Scored:
                return;
            case "cancelled" or "deadline":
                throw new OperationCanceledException("the scoring request was cancelled", ct);
            case "length":
                throw new ChorusException(ChorusErrorKind.OutOfRange,
                    $"the text does not fit a member's context after {finished.CompletionTokens} scored units; score it in windows (the Score call does for texts longer than a member's context) or shorten it");
            default:
                throw new ChorusException(ChorusErrorKind.Internal, $"scoring ended before the end of its text ({finished?.Reason ?? "no finish event"})");
        }
    }

    /// <summary>
    /// The scored tokens when the method fuses in another member's vocabulary than main's (PackLLM's reference=best):
    /// the text in that member's tokens, scored from its token that starts where the prompt ends — the same span and
    /// the same bytes as with main's tokens.
    /// </summary>
    internal static (int[] Ids, int PromptTokens) ReferenceSplit(RunMember reference, string text, int promptChars)
    {
        var ids = reference.Vocabulary.Tokenize(text, addSpecial: true);
        var offsets = TokenOffsets.Compute(reference.Vocabulary, text, ids);
        for (var q = 1; q < ids.Length; q++)
            if (offsets[q] == promptChars && offsets[q - 1] < promptChars) return (ids, q);
        throw new ChorusException(ChorusErrorKind.InvalidArgument,
            $"the reference member '{reference.Name}' has no token boundary where the prompt ends (character {promptChars}), so its tokens cannot score the same span; pass reference=main, or a prompt length that ends at a word start");
    }

    /// <summary>
    /// The protocol's split of a text, shared by every scorer: its tokens in the main member's vocabulary, the prompt
    /// length P in those tokens, and the character offset where the scored span begins.
    /// </summary>
    internal static async Task<(string Text, int[] Ids, int PromptTokens, int PromptChars)> SplitAsync(
        IReadOnlyList<MemberPlan> plans, ScoreRequest request, IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog)
    {
        var text = request.Text ?? "";
        var mainPlan = plans[MemberPlanner.MainIndex(plans)];
        directory.EnsureServed(mainPlan.Model);
        var mainGrain = ModelGrains.Get(grains, mainPlan.Model);
        var mainVocabulary = await catalog.Vocabulary(mainGrain, await mainGrain.Describe());
        var ids = mainVocabulary.Tokenize(text, addSpecial: true);
        if (ids.Length < 3)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"the text is too short to score: {ids.Length} tokens; give at least a few words");
        var p = PromptLength(request.PromptTokens, ids, mainVocabulary);
        return (text, ids, p, TokenOffsets.Compute(mainVocabulary, text, ids)[p]);
    }

    // The first P tokens are the prompt; P moves forward to a token that starts a word so that every member
    // tokenizes the prompt as a prefix of the whole text.
    internal static int PromptLength(int requested, int[] ids, LlamaVocabulary vocabulary)
    {
        var p = requested >= 0 ? requested : Math.Min(128, ids.Length / 4);
        p = Math.Clamp(p, 1, ids.Length - 1);
        for (var q = p; q < Math.Min(ids.Length - 1, p + 8); q++)
            if (vocabulary.TokenToString(ids[q]).StartsWith(' ')) return q;
        return p;
    }

    // Each member alone on the whole text, in its own tokenization: its sequence is re-prefilled with the text.
    internal static async Task<MemberScore> ScoreMember(RunMember m, string text, int promptChars, double weight, CancellationToken ct)
    {
        var opened = await m.Sequence!.PrefillAsync(text, chat: false, 1, 0, evidence: true, ct);
        var e = opened.Evidence!;
        double nll = 0;
        var n = 0;
        var firstChar = text.Length;
        for (var t = 0; t < e.TokenIds.Length; t++)
        {
            if (e.CharOffsets[t] < promptChars || float.IsNaN(e.LogProbs[t])) continue;
            nll -= e.LogProbs[t];
            firstChar = Math.Min(firstChar, e.CharOffsets[t]);
            n++;
        }
        var bytes = ByteLoss.Utf8Bytes(text, firstChar);
        return new MemberScore(m.Name, n, n > 0 ? Math.Exp(nll / n) : double.NaN, n > 0 ? nll / n : double.NaN, weight,
            bytes, n > 0 ? ByteLoss.BitsPerByte(nll, bytes) : double.NaN);
    }
}
