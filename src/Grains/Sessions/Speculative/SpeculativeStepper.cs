using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Speculative fused decoding (request field <c>speculate</c> = k): each step is a <see cref="SpeculativeRound"/> that
/// commits the drafts the fused distribution keeps plus one token of its own, instead of one cluster round trip per
/// token. Opens as plain decoding does, then the drafter: prompt lookup (<c>drafter=ngram</c>, no model), a member's own
/// sequence, or a separate model of the main vocabulary admitted and prefilled here (on the conversation in its own
/// template for chat) and released on dispose.
/// Greedy rounds are pipelined while most drafts are kept: each one asks the drafter to draft the next round ahead, as
/// long as the draft length the next round would have if this one kept everything (<see cref="DraftLength.IfAllKept"/>);
/// a draft ahead that is not used is settled before the drafter's slot is released.
/// </summary>
internal sealed class SpeculativeStepper(FusedRun run, Sampler sampler, GenerationRequest request, SpeculativeContext context, VocabularyCatalog catalog)
    : IGenerationStepper
{
    /// <summary>The recent share of kept drafts from which greedy rounds draft the next round ahead.</summary>
    private const double PipelineFloor = 0.6;

    private readonly List<int> _committed = [];
    private readonly List<int> _settled = new(request.Speculate + 1);
    private readonly List<UnitNotes?> _notes = new(request.Speculate + 1);
    private readonly DraftLength _length = new(request.Speculate, timed: sampler.IsGreedy && context.CostCheck);
    private MemberSequence?[] _sequences = [];
    private SpeculativeDrafterLease? _drafterLease;
    private SpeculativeRound? _round;
    private Llama.Utf8TokenDecoder? _decoder;
    private int _drafted, _accepted, _rounds, _plainRounds, _guesses, _guessesKept;

    public FusedRun Run => run;
    public double OpenMilliseconds => run.PrefillMilliseconds;
    public int PromptTokens => run.Main.Evidence?.TokenIds.Length ?? 0;

    public async Task OpenAsync(CancellationToken ct)
    {
        await run.PrefillAsync(catalog, freeUnusedMembers: true, ct);
        _sequences = new MemberSequence?[run.Members.Count];
        for (var i = 0; i < _sequences.Length; i++)
        {
            var m = run.Members[i];
            if (m.Active && m.SharesMainVocabulary)
                _sequences[i] = m.Sequence;
        }
        _round = new SpeculativeRound(run, await OpenDrafterAsync(ct), _sequences, sampler, request.Speculate);
        _decoder = new Llama.Utf8TokenDecoder(run.Main.Vocabulary);
    }

    // prompt lookup costs no model; otherwise a member's sequence or a separate drafter model's
    private async Task<IDrafter> OpenDrafterAsync(CancellationToken ct)
    {
        if (string.Equals(request.Drafter?.Trim(), NGramDrafter.Name, StringComparison.OrdinalIgnoreCase))
            return new NGramDrafter(run.Main.Evidence!.TokenIds, sampler.IsGreedy, run.Main.Vocabulary.Count, request.Speculate);
        _drafterLease = await SpeculativeDrafterLease.OpenAsync(run, request.Drafter, _sequences, context, ct);
        var topK = run.Method.Requirements.TopK;
        return new SpeculativeDrafter(_drafterLease.Sequence, _drafterLease.MemberIndex, sampler, request.Sampling, run.Main.Vocabulary,
            _drafterLease.MemberIndex >= 0 ? topK : SpeculativeDrafterLease.DrafterTopK, request.Speculate);
    }

    public async Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct)
    {
        var round = _round!;
        var draft = Budget(0, _length.Next, remaining);
        // greedy: the next round's drafts, made while this round is verified, as if it kept every draft and the bonus —
        // only while most drafts are kept (a discarded draft ahead is waited for and costs its decodes)
        var pipeline = sampler.IsGreedy && draft > 0 && _length.AcceptanceRate >= PipelineFloor;
        var ahead = pipeline ? Budget(draft + 1, _length.IfAllKept(draft), remaining) : 0;
        _settled.Clear();
        _notes.Clear();
        var started = Stopwatch.GetTimestamp();
        await round.RunAsync(_committed, draft, ahead, _settled, (fused, token) => _notes.Add(annotate.Of(fused, token)), ct);
        _rounds++;
        if (round.Drafted == 0) _plainRounds++;
        if (round.GuessKept is { } right)
        {
            _guesses++;
            if (right) _guessesKept++;
        }
        _length.Observe(round.Drafted, round.Accepted, Stopwatch.GetElapsedTime(started).TotalMilliseconds, _settled.Count, round.GuessKept);
        _drafted += round.Drafted;
        _accepted += round.Accepted;
        var share = 1.0 / _settled.Count;
        var units = new List<GeneratedUnit>(_settled.Count);
        for (var i = 0; i < _settled.Count; i++)
        {
            var token = _settled[i];
            if (run.Main.Vocabulary.IsEndOfGeneration(token)) return new StepOutcome(units, "eog", round.FuseMilliseconds);
            _committed.Add(token);
            // a member of the main vocabulary took the token itself; the others' tokens of the round come with its last unit
            var memberTokens = annotate.MemberTokens ? MemberTokens(token, last: i == _settled.Count - 1) : null;
            units.Add(new GeneratedUnit(token, _decoder!.Append(token), _notes[i], memberTokens, round.FuseMilliseconds * share, round.MemberMilliseconds * share));
        }
        // drafting paused: the next round is a plain step, whose member steps can decode while the loop streams these units
        if (_length.Next == 0 && remaining > units.Count) round.StartPlain(_committed, ct);
        return new StepOutcome(units, null, round.FuseMilliseconds);
    }

    public string Flush() => _decoder?.Flush() ?? "";

    public GenerationFinished Finish(GenerationFinished finished) => finished with
    {
        DraftedTokens = _drafted, AcceptedTokens = _accepted, Rounds = _rounds, PipelinedRounds = _round?.Pipelined ?? 0,
        PlainRounds = _plainRounds, SpeculationPaused = _length.PauseReason, FreeGuesses = _guesses, FreeGuessesKept = _guessesKept,
    };

    public async ValueTask DisposeAsync()
    {
        // a draft ahead that the loop will not use: no call stays in flight once the slots are released
        if (_round is not null) await _round.SettleAsync();
        if (_drafterLease is not null) await _drafterLease.DisposeAsync();
    }

    // the last token of a round is the fused distribution's own: draft one fewer than the units still allowed, and leave
    // room in every sequence for the drafts and the token after them
    private int Budget(int offset, int wanted, int remaining)
    {
        var count = _committed.Count + offset;
        var room = Math.Min(_drafterLease?.Sequence.Room(count) ?? int.MaxValue, _sequences.Min(s => s?.Room(count) ?? int.MaxValue));
        return Math.Max(0, Math.Min(wanted, Math.Min(remaining - offset - 1, room - 2)));
    }

    private Dictionary<string, int[]> MemberTokens(int token, bool last)
    {
        var tokens = new Dictionary<string, int[]>();
        for (var i = 0; i < run.Members.Count; i++)
        {
            var m = run.Members[i];
            if (!m.Active) continue;
            if (_sequences[i] is not null) tokens[m.Name] = [token];
            else if (last) tokens[m.Name] = m.LastTokens;
        }
        return tokens;
    }
}

/// <summary>What the speculative stepper needs from the session grain's services.</summary>
internal sealed record SpeculativeContext(Guid Session, IGrainFactory Grains, ClusterModelDirectory Directory, bool CostCheck = true);
