using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// The token loop of a speculative fused generation (request field <c>speculate</c> = k): rounds of
/// <see cref="SpeculativeRound"/> instead of one cluster round trip per token, streamed as the plain loop streams
/// (token events, stop strings, the finished event with how many drafts were accepted). Starts once the members are
/// prefilled; a drafter that is not a member is admitted and prefilled here and released when the loop ends. Greedy
/// rounds are pipelined while most drafts are kept: each one asks the drafter to draft the next round ahead, as long as
/// the draft length the next round would have if this one kept everything (<see cref="DraftLength.IfAllKept"/>), and the
/// loop settles a draft ahead it does not use before it ends.
/// </summary>
internal static class SpeculativeGeneration
{
    /// <summary>The most tokens one round may draft.</summary>
    public const int MaxDraft = 32;

    /// <summary>The recent share of kept drafts from which greedy rounds draft the next round ahead.</summary>
    private const double PipelineFloor = 0.6;

    /// <summary>Checks the speculative fields of a request before any work.</summary>
    public static void Check(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Speculate is < 0 or > MaxDraft)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"speculate must be between 0 (off) and {MaxDraft} drafted tokens per round, got {request.Speculate}");
        if (request.Speculate == 0 && !string.IsNullOrWhiteSpace(request.Drafter))
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"a drafter ('{request.Drafter}') only drafts with speculate > 0; set speculate to the tokens per round");
        // not yet combined: drafts and cross-vocabulary rows are built on the main member's prompt text, and rounds report no log-probabilities
        if (request.Speculate > 0 && request.Messages is not null)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "speculate works on a prompt, not on chat messages formatted per member yet; send a prompt, or set speculate to 0");
        // a round verifies k drafts in one decode, and each position's penalties depend on the drafts before it
        if (request.Speculate > 0 && request.Sampling.HasPenalties)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                "speculate does not apply repetition, presence or frequency penalties yet (each drafted position would need the penalties of the drafts before it); drop the penalties, or set speculate to 0")
            { Field = "speculate" };
        if (request.Speculate > 0 && request.TopLogProbs >= 0)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "speculate does not report log-probabilities yet; drop logprobs, or set speculate to 0");
    }

    public static async IAsyncEnumerable<GenerationEvent> RunAsync(FusedRun run, Sampler sampler, GenerationRequest request, int maxTokens,
        SpeculativeContext context, Stopwatch total, [EnumeratorCancellation] CancellationToken ct, CancellationToken caller)
    {
        var k = request.Speculate;
        var topK = run.Method.Requirements.TopK;
        var sequences = new DraftSequence?[run.Members.Count];
        for (var i = 0; i < sequences.Length; i++)
        {
            var m = run.Members[i];
            if (m.Active && m.SharesMainVocabulary)
                sequences[i] = new DraftSequence(m.Grain, m.Handle!, m.Evidence!.TokenIds.Length, m.Facts.ContextSize, m.Current!);
        }
        await using var drafterLease = await SpeculativeDrafterLease.OpenAsync(run, request.Drafter, sequences, context, ct);
        var drafter = new SpeculativeDrafter(drafterLease.Sequence, drafterLease.MemberIndex, sampler, request.Sampling, run.Main.Vocabulary,
            drafterLease.MemberIndex >= 0 ? topK : SpeculativeDrafterLease.DrafterTopK, k);
        var round = new SpeculativeRound(run, drafter, sequences, sampler, k);
        var decoder = new Llama.Utf8TokenDecoder(run.Main.Vocabulary);
        var completion = new System.Text.StringBuilder();
        var stops = new StopStringFilter(request.Stop ?? []);
        var committed = new List<int>();
        var settled = new List<int>(k + 1);
        var steps = new List<Dictionary<string, double>?>(k + 1);
        Action<FusedStep>? onStep = request.ShowWeights ? s => steps.Add(Weights(run, s)) : null;
        string reason = "max_tokens";
        int drafted = 0, accepted = 0, rounds = 0;
        double fuseTotal = 0, stepTotal = 0;
        var finished = false;
        var length = new DraftLength(k);
        // the last token of a round is the fused distribution's own: draft one fewer than the tokens still allowed
        int Budget(int count, int wanted)
        {
            var room = Math.Min(drafterLease.Sequence.Room(count), sequences.Min(s => s?.Room(count) ?? int.MaxValue));
            return Math.Max(0, Math.Min(wanted, Math.Min(maxTokens - count - 1, room - 2)));
        }
        try
        {
            while (!finished && committed.Count < maxTokens)
            {
                if (ct.IsCancellationRequested) { reason = caller.IsCancellationRequested ? "cancelled" : "deadline"; break; }
                var draft = Budget(committed.Count, length.Next);
                // greedy: the next round's drafts, made while this round is verified, as if it kept every draft and the
                // bonus — only while most drafts are kept (a discarded draft ahead is waited for and costs its decodes)
                var pipeline = sampler.IsGreedy && draft > 0 && length.AcceptanceRate >= PipelineFloor;
                var ahead = pipeline ? Budget(committed.Count + draft + 1, length.IfAllKept(draft)) : 0;
                settled.Clear();
                steps.Clear();
                var ended = await RoundOrStop(round, committed, draft, ahead, settled, onStep, ct, caller);
                if (ended is not null) { reason = ended; break; }
                rounds++;
                length.Observe(round.Drafted, round.Accepted);
                drafted += round.Drafted;
                accepted += round.Accepted;
                context.Metrics.FusionTime.Record(round.FuseMilliseconds / 1000);
                var share = 1.0 / settled.Count;
                for (var i = 0; i < settled.Count; i++)
                {
                    var token = settled[i];
                    if (run.Main.Vocabulary.IsEndOfGeneration(token)) { reason = "eog"; finished = true; break; }
                    committed.Add(token);
                    fuseTotal += round.FuseMilliseconds * share;
                    stepTotal += round.MemberMilliseconds * share;
                    var piece = decoder.Append(token);
                    completion.Append(piece);
                    var (emit, stopped) = stops.Push(piece);
                    yield return new GeneratedToken(committed.Count - 1, emit, token, i < steps.Count ? steps[i] : null, null, null,
                        round.FuseMilliseconds * share, round.MemberMilliseconds * share);
                    if (stopped) { reason = "stop"; finished = true; break; }
                }
            }
        }
        finally
        {
            // a draft ahead that the loop will not use: no call stays in flight once the slots are released
            await round.SettleAsync();
        }
        var produced = committed.Count;
        if (reason != "stop")
        {
            var rest = decoder.Flush();
            completion.Append(rest);
            var tail = stops.Push(rest).Emit + stops.Flush();
            if (tail.Length > 0) yield return new GeneratedToken(produced, tail, -1, null, null, null, 0, 0);
        }
        yield return new GenerationFinished(reason, StopAt(completion.ToString(), request.Stop), run.Main.Evidence?.TokenIds.Length ?? 0, produced,
            run.PrefillMilliseconds, total.Elapsed.TotalMilliseconds, produced > 0 ? fuseTotal / produced : 0, produced > 0 ? stepTotal / produced : 0)
        {
            DraftedTokens = drafted, AcceptedTokens = accepted, Rounds = rounds, PipelinedRounds = round.Pipelined,
        };
    }

    // null, or why the generation ends: cancelled, deadline, or "length" when a member's context is full
    private static async Task<string?> RoundOrStop(SpeculativeRound round, List<int> committed, int draft, int ahead, List<int> settled,
        Action<FusedStep>? onStep, CancellationToken ct, CancellationToken caller)
    {
        try
        {
            await ErrorMapping.GuardAsync(async () => { await round.RunAsync(committed, draft, ahead, settled, onStep, ct); return true; });
            return null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return caller.IsCancellationRequested ? "cancelled" : "deadline";
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            return "length";
        }
    }

    private static Dictionary<string, double> Weights(FusedRun run, FusedStep fused)
    {
        var w = new Dictionary<string, double>();
        for (var i = 0; i < run.Members.Count; i++) w[run.Members[i].Name] = fused.MemberWeights[i];
        return w;
    }

    private static string StopAt(string text, string[]? stops)
    {
        foreach (var s in stops ?? [])
        {
            if (string.IsNullOrEmpty(s)) continue;
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return text;
    }
}

/// <summary>What the speculative loop needs from the session grain's services.</summary>
internal sealed record SpeculativeContext(Guid Session, IGrainFactory Grains, ClusterModelDirectory Directory, ChorusMetrics Metrics);
