using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// One draft-and-verify round of speculative ensembling (Fu et al. 2025): the drafter proposes up to k tokens, every
/// member reads the distribution after each of them in one decode, and the fused distribution keeps the longest
/// agreeing prefix plus one token of its own (the correction, or a bonus when every draft was kept). Greedy: a draft is
/// kept exactly when it is the fused arg-max, so the tokens equal the plain ensemble's. Sampling: the acceptance rule
/// of <see cref="SpeculativeAcceptance"/>, so they follow the same distribution. Buffers live as long as the generation.
/// Greedy rounds are pipelined (<see cref="PipelinedDraft"/>): while a round is verified the drafter drafts the next
/// one as if every draft and its own bonus were kept, and a round whose drafts were made that way skips its drafting call.
/// </summary>
internal sealed class SpeculativeRound
{
    private readonly FusedRun _run;
    private readonly IDrafter _drafter;
    private readonly MemberSequence?[] _sequences; // per member: same-vocabulary members stepped by token id
    private readonly DraftText? _text;
    private readonly Sampler _sampler;
    private readonly SpeculativeAcceptance _acceptance;
    private readonly PipelinedDraft? _ahead; // greedy only
    private readonly int _topK;
    private readonly TokenDistribution?[][] _rows; // [position j][member]: the distribution after committed + drafts[..j]
    private readonly List<TokenDistribution> _step = [];
    private readonly double[] _target;
    private readonly double[] _scratch;
    private Task<int[]>? _plainAhead; // a plain round's member steps, started early (StartPlain)

    public SpeculativeRound(FusedRun run, IDrafter drafter, MemberSequence?[] sequences, Sampler sampler, int maxDraft)
    {
        _run = run;
        _drafter = drafter;
        _sequences = sequences;
        _sampler = sampler;
        _acceptance = new SpeculativeAcceptance(sampler);
        _ahead = sampler.IsGreedy ? new PipelinedDraft(drafter) : null;
        _topK = run.Method.Requirements.TopK;
        _rows = new TokenDistribution?[maxDraft + 1][];
        for (var j = 0; j < _rows.Length; j++) _rows[j] = new TokenDistribution?[run.Members.Count];
        if (run.Members.Any(m => m.Active && !m.SharesMainVocabulary)) _text = new DraftText(run.Main.Vocabulary);
        var vocabulary = run.Main.Facts.VocabularySize;
        _target = sampler.IsGreedy ? [] : new double[vocabulary];
        _scratch = sampler.IsGreedy ? [] : new double[vocabulary];
    }

    /// <summary>Drafted and accepted tokens of the last round, and the time it spent in members and in fusing.</summary>
    public int Drafted { get; private set; }
    public int Accepted { get; private set; }
    public double MemberMilliseconds { get; private set; }
    public double FuseMilliseconds { get; private set; }

    /// <summary>After a round that asked for no drafts (drafting paused): whether the drafter's free guess (<see cref="IDrafter.FreeGuess"/>) was the settled token; null when it had none.</summary>
    public bool? GuessKept { get; private set; }

    /// <summary>Rounds so far that started with drafts made ahead (greedy pipelining).</summary>
    public int Pipelined => _ahead?.Used ?? 0;

    /// <summary>
    /// Runs a round with up to <paramref name="k"/> drafts after <paramref name="committed"/>; appends the tokens it
    /// settles to <paramref name="output"/>, telling <paramref name="onSettle"/> each one with the fused step that chose it
    /// (before the next row is fused: the step's buffers are reused). Greedy, with <paramref name="ahead"/> &gt; 0: while
    /// its drafts are verified, drafts that many tokens of the next round ahead.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<int> committed, int k, int ahead, List<int> output, Action<FusedStep, int>? onSettle, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var plain = _plainAhead;
        _plainAhead = null;
        // a plain round's member steps may have started while the loop streamed the last round (StartPlain)
        var drafts = plain is not null && k == 0 ? await plain : await MembersAsync(committed, k, ahead, ct);
        var verifiable = Verifiable(drafts.Length);
        if (verifiable < 0) throw new ChorusException(ChorusErrorKind.Internal, "a member returned no distribution after the committed text");
        MemberMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var fuseStart = Stopwatch.GetTimestamp();
        Drafted = drafts.Length;
        Accepted = 0;
        // a round that asked for drafts and got none already asked the drafter: only a paused round guesses (before the row is fused: buffers are reused)
        var guess = k == 0 ? _drafter.FreeGuess(committed, _rows[0]) : null;
        var settledAt = output.Count;
        for (var j = 0; j <= verifiable; j++)
        {
            _step.Clear();
            foreach (var d in _rows[j]) _step.Add(d!);
            var fused = _run.Fusion!.Fuse(_step);
            if (j == drafts.Length)
            {
                Settle(output, _sampler.Sample(fused.LogProbs), fused, onSettle); // every draft kept: a bonus token from the last row
                break;
            }
            var draft = drafts[j];
            int? replacement;
            if (_sampler.IsGreedy)
            {
                var best = _sampler.Sample(fused.LogProbs);
                replacement = best == draft ? null : best;
            }
            else
            {
                _sampler.Probabilities(fused.LogProbs, _target);
                var proposal = _drafter.Proposal(j);
                replacement = _acceptance.Accept(_target, proposal, draft) ? null : _acceptance.Resample(_target, proposal, _scratch);
            }
            if (replacement is { } r)
            {
                Settle(output, r, fused, onSettle);
                break;
            }
            Settle(output, draft, fused, onSettle);
            Accepted++;
        }
        GuessKept = guess is { } g && output.Count > settledAt ? output[settledAt] == g : null;
        FuseMilliseconds = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
    }

    /// <summary>
    /// Starts the members' steps of a plain round (no drafts) after <paramref name="committed"/> now, so that they decode
    /// while the loop streams the tokens just settled, as plain decoding does; the next <see cref="RunAsync"/> with k = 0
    /// uses them. Only while drafting is paused: the next round's length is then known to be 0. The caller leaves
    /// <paramref name="committed"/> as it is until that round.
    /// </summary>
    public void StartPlain(IReadOnlyList<int> committed, CancellationToken ct) => _plainAhead ??= MembersAsync(committed, 0, 0, ct);

    // the members' part of a round: drafts (or those drafted ahead), then every member's rows after each
    private async Task<int[]> MembersAsync(IReadOnlyList<int> committed, int k, int ahead, CancellationToken ct)
    {
        for (var j = 0; j <= k; j++) Array.Clear(_rows[j]);
        var drafts = _ahead is null ? null : await _ahead.TakeAsync(committed, k, _rows);
        if (drafts is null && k == 0)
        {
            // nothing to draft: a plain step, in which the drafting member steps as every other member does (one token
            // appended, one row back); a drafter that is no member catches up when it next drafts
            await VerifyAsync(committed, [], drafted: false, ct);
            return [];
        }
        drafts ??= await _drafter.DraftAsync(committed, k, _rows, ct);
        DraftAhead(committed, drafts, k, ahead, ct);
        await VerifyAsync(committed, drafts, drafted: true, ct);
        return drafts;
    }

    // a settled token, told to the method before the next row is fused: stateful methods (online weights) learn from
    // each token in the order plain decoding would, so their weights at every step equal the plain ensemble's
    private void Settle(List<int> output, int token, FusedStep fused, Action<FusedStep, int>? onSettle)
    {
        onSettle?.Invoke(fused, token);
        output.Add(token);
        _run.Fusion!.Observe(token);
    }

    /// <summary>Waits for work still in flight — a draft ahead, a plain round started early — and drops it (before the sequences are released).</summary>
    public async Task SettleAsync()
    {
        var plain = _plainAhead;
        _plainAhead = null;
        await InFlight.DropAsync(plain);
        if (_ahead is not null) await _ahead.SettleAsync();
    }

    // greedy: the drafter drafts the next round while this one is verified, when this one drafted all it was asked for
    private void DraftAhead(IReadOnlyList<int> committed, int[] drafts, int k, int ahead, CancellationToken ct)
    {
        if (_ahead is null || ahead == 0 || drafts.Length != k || _run.Main.Vocabulary.IsEndOfGeneration(drafts[^1])) return;
        var member = _drafter.MemberIndex;
        _ahead.Start(committed, drafts, member >= 0 ? _rows[k][member] : null, ahead, ct);
    }

    // every active member reads the rows after the committed tokens and after each draft, in one decode each
    // (the step-time split of a round covers these verification calls: the drafting member's rows came with its drafts
    // when it <paramref name="drafted"/>)
    private async Task VerifyAsync(IReadOnlyList<int> committed, int[] drafts, bool drafted, CancellationToken ct)
    {
        var members = _run.Members;
        var text = _text is not null && committed.Count + drafts.Length > 0 ? _text.Build(committed, drafts) : default;
        var work = new List<Task>(members.Count);
        _run.Timings.Begin(members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            var m = members[i];
            var index = i;
            if (!m.Active || (committed.Count == 0 && drafts.Length == 0))
            {
                _rows[0][i] = m.Current;
                continue;
            }
            if (drafted && _drafter.MemberIndex == i) continue; // its rows came with the drafts
            if (_sequences[i] is { } sequence)
            {
                work.Add(Rows(sequence.ExtendAsync(committed, drafts, _topK, ct), index, committed.Count == 0 ? m.Current! : null));
            }
            else
            {
                work.Add(TextRows(m, text.Text, text.PrefixLengths, index, committed.Count == 0, ct));
            }
        }
        await Task.WhenAll(work);
        _run.Timings.End();
    }

    private async Task Rows(Task<(TokenDistribution AfterCommitted, DistributionData?[] AfterExtra, double Milliseconds)> rows, int member, TokenDistribution? afterPrompt)
    {
        var called = Stopwatch.GetTimestamp();
        var (first, rest, grainMs) = await rows;
        _run.Timings.Member(member, Stopwatch.GetElapsedTime(called).TotalMilliseconds, new MemberTime(grainMs));
        _rows[0][member] = afterPrompt ?? first;
        for (var j = 0; j < rest.Length; j++) _rows[j + 1][member] = rest[j]!.ToDistribution();
    }

    // a member of another vocabulary is synced to its own prompt (its chat template, for a conversation) and the drafted text
    private async Task TextRows(RunMember m, string text, int[] prefixLengths, int member, bool atPrompt, CancellationToken ct)
    {
        var called = Stopwatch.GetTimestamp();
        var step = await m.Sequence!.SyncDraftAsync(m.Prompt + text, [.. prefixLengths.Select(p => m.Prompt.Length + p)], _topK, ct);
        _run.Timings.Member(member, Stopwatch.GetElapsedTime(called).TotalMilliseconds, new MemberTime(step.Milliseconds));
        m.LastTokens = step.Decoded;
        for (var j = 0; j < step.Rows.Length; j++) _rows[j][member] = step.Rows[j]?.ToDistribution();
        if (atPrompt) _rows[0][member] = m.Current; // the plain path's first step reads the prefill's row
    }

    // the last position every member has a row for (a member of another vocabulary may lack the later ones)
    private int Verifiable(int drafts)
    {
        for (var j = 0; j <= drafts; j++)
            foreach (var d in _rows[j])
                if (d is null) return j - 1;
        return drafts;
    }
}
