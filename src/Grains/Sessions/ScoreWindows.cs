using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Cuts a text that does not fit every member's context into scoring windows, as single-model scoring does: windows of
/// the longest length L (main-vocabulary tokens) that every member's context holds in its own tokenization, one every
/// L/2 tokens. The first window scores after the protocol's prompt; every later one scores only the tokens the one
/// before did not, with the tokens before them as its prompt (prompt-dependent weights come from that context). Window
/// edges sit at word starts, so that every member tokenizes a window's prompt as a prefix of the window and the scored
/// spans tile the text after the first prompt exactly once.
/// </summary>
internal static class ScoreWindows
{
    /// <summary>Tokens every member keeps free in its context beyond a window's text tokenized alone (its BOS is counted there).</summary>
    private const int Margin = 4;

    /// <summary>
    /// The share of each member's context that <c>byte</c> windows leave free: its cover trees keep tokenizations finer,
    /// so longer, than the canonical one the window is sized by (a 10 kB text failed with windows 4 tokens short of the
    /// context). 1/8 is about the room windows had before lengths were searched finely, which the byte tests ran with.
    /// </summary>
    private const int ByteHeadroomDivisor = 8;

    /// <summary>
    /// The windows of the request's text, each with the request that scores it, or null when the whole text fits every
    /// member's context (one window: the unwindowed protocol).
    /// </summary>
    public static async Task<IReadOnlyList<(ScoreWindow Window, ScoreRequest Request)>?> PlanAsync(IReadOnlyList<MemberPlan> plans, ScoreRequest request,
        bool byteLevel, IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog)
    {
        var text = request.Text ?? "";
        var members = new List<(LlamaVocabulary Vocabulary, int Context)>(plans.Count);
        foreach (var plan in plans)
        {
            directory.EnsureServed(plan.Model);
            var grain = ModelGrains.Get(grains, plan.Model);
            var facts = await grain.Describe();
            // a member's usable context: what its windows' canonical tokenizations may fill
            var usable = facts.ContextSize - (byteLevel ? Math.Max(Margin, facts.ContextSize / ByteHeadroomDivisor) : Margin);
            members.Add((await catalog.Vocabulary(grain, facts), usable));
        }
        if (members.All(m => Fits(m, text))) return null;

        var main = members[MemberPlanner.MainIndex(plans)].Vocabulary;
        var ids = main.Tokenize(text, addSpecial: true);
        var offsets = TokenOffsets.Compute(main, text, ids);
        // Steps of 1/64: a window after the first tokenized alone gains a BOS (and a SentencePiece vocabulary may split
        // its first word differently), so the first length rarely fits; coarser steps would give up context for nothing.
        for (var length = members.Min(m => m.Context); length >= 16; length -= Math.Max(1, length / 64))
        {
            var windows = Cut(text, ids, offsets, main, length, request.PromptTokens);
            if (windows.All(w => members.All(m => Fits(m, text[w.StartChar..w.EndChar]))))
                return windows.Select(w => (w, For(request, w, main, text))).ToList();
        }
        throw new ChorusException(ChorusErrorKind.InvalidArgument,
            $"the text cannot be cut into windows that fit every member's context ({string.Join(", ", members.Select(m => m.Context))} usable tokens); " +
            "serve the members with a larger context size");
    }

    /// <summary>The request that scores one window: its text, and its prompt in its own main-vocabulary tokens.</summary>
    private static ScoreRequest For(ScoreRequest request, ScoreWindow window, LlamaVocabulary main, string text)
    {
        var piece = text[window.StartChar..window.EndChar];
        var ids = main.Tokenize(piece, addSpecial: true);
        var offsets = TokenOffsets.Compute(main, piece, ids);
        var scored = window.ScoredChar - window.StartChar;
        var prompt = Array.FindIndex(offsets, o => o >= scored);
        return request with { Text = piece, PromptTokens = prompt < 0 ? ids.Length - 1 : Math.Max(1, prompt) };
    }

    private static bool Fits((LlamaVocabulary Vocabulary, int Context) member, string text) =>
        member.Vocabulary.Tokenize(text, addSpecial: true).Length <= member.Context;

    private static List<ScoreWindow> Cut(string text, int[] ids, int[] offsets, LlamaVocabulary main, int length, int promptTokens)
    {
        var n = ids.Length;
        var half = length / 2;
        var firstPrompt = FusedScorer.PromptLength(Math.Min(promptTokens >= 0 ? promptTokens : Math.Min(128, n / 4), half), ids, main);
        var windows = new List<ScoreWindow>();
        int start = 0, scored = firstPrompt;
        while (true)
        {
            var end = start + length >= n ? n : WordStartAtOrBefore(start + length, scored + 1, ids, main);
            windows.Add(new ScoreWindow(offsets[start], offsets[scored], end == n ? text.Length : offsets[end]));
            if (end == n) return windows;
            scored = end;
            start = WordStartAtOrAfter(Math.Max(0, end - half), end - 1, ids, main);
        }
    }

    // the latest token at or before `at` (and after `floor`) that starts a word; `at` itself when none does
    private static int WordStartAtOrBefore(int at, int floor, int[] ids, LlamaVocabulary main)
    {
        for (var q = at; q > floor; q--)
            if (main.TokenToString(ids[q]).StartsWith(' ')) return q;
        return at;
    }

    // the first token at or after `at` (and before `ceiling`) that starts a word; `at` itself when none does
    private static int WordStartAtOrAfter(int at, int ceiling, int[] ids, LlamaVocabulary main)
    {
        for (var q = at; q < ceiling; q++)
            if (main.TokenToString(ids[q]).StartsWith(' ')) return q;
        return at;
    }

    /// <summary>
    /// The windows' scores as one: NLL, tokens and bytes add up (the scored spans tile the text), weights are
    /// token-weighted means, diagnostics add up as <see cref="ScoreDiagnostics"/> says.
    /// </summary>
    public static ScoreResult Combine(IReadOnlyList<ScoreWindow> windows, IReadOnlyList<ScoreResult> results)
    {
        var first = results[0];
        var tokens = results.Sum(r => r.Tokens);
        var nll = results.Sum(r => r.MeanNll * r.Tokens);
        var bytes = results.Sum(r => r.Bytes);
        var weights = new float[first.MeanWeights.Length];
        for (var k = 0; k < weights.Length; k++) weights[k] = (float)(results.Sum(r => (double)r.MeanWeights[k] * r.Tokens) / Math.Max(1, tokens));
        var members = first.Members.Select((m, k) =>
        {
            var n = results.Sum(r => r.Members[k].Tokens);
            var memberNll = results.Where(r => r.Members[k].Tokens > 0).Sum(r => r.Members[k].MeanNll * r.Members[k].Tokens);
            var memberBytes = results.Sum(r => r.Members[k].Bytes);
            return new MemberScore(m.Model, n, n > 0 ? Math.Exp(memberNll / n) : double.NaN, n > 0 ? memberNll / n : double.NaN,
                results.Sum(r => r.Members[k].Weight * r.Tokens) / Math.Max(1, tokens), memberBytes, n > 0 ? ByteLoss.BitsPerByte(memberNll, memberBytes) : double.NaN);
        }).ToArray();
        Dictionary<string, double>? diagnostics = null;
        foreach (var (key, value) in results.Where(r => r.Diagnostics is not null).SelectMany(r => r.Diagnostics!))
        {
            diagnostics ??= [];
            ScoreDiagnostics.Accumulate(diagnostics, key, value);
        }
        return new ScoreResult(first.Method, tokens, Math.Exp(nll / Math.Max(1, tokens)), nll / Math.Max(1, tokens), members, first.PromptTokens,
            weights, bytes, ByteLoss.BitsPerByte(nll, bytes))
        {
            Diagnostics = diagnostics,
            Windows = windows.Select((w, i) => w with { Tokens = results[i].Tokens, Bytes = results[i].Bytes, BitsPerByte = results[i].BitsPerByte }).ToArray(),
        };
    }
}
