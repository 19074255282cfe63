using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Llama;
using Chorus.Llama.Chat;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// What a model replica does for its callers, apart from how they reach it: the <see cref="ModelGrain"/> delegates every verb
/// here, and a session in the same silo calls it directly (<see cref="LocalModelGrain"/>), with no Orleans message either way.
/// Safe for callers on any thread: sequence state is planned, changed and committed on the scheduler's thread; what runs on the
/// caller's thread only reads (lease lookup, tokenizing, facts). Drain refusal, spans, metrics and error mapping live here, so
/// both paths behave the same.
/// </summary>
internal sealed class ModelEndpoint(ModelScheduler scheduler, string key, string modelId, ModelFacts facts, SiloAddress silo, ChorusMetrics metrics, SiloDrain drain)
{
    // texts longer than this are tokenized on the thread pool, so a large prompt does not hold the scheduler's thread
    private const int InlineTokenizeChars = 4096;

    private readonly KeyValuePair<string, object?> _tag = new("model", key);

    public string Key => key;

    public ModelScheduler Scheduler => scheduler;

    public Task<ModelFacts> Describe() => Task.FromResult(facts);

    public async IAsyncEnumerable<AdmissionEvent> Admit(Guid owner, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // a draining silo lets its sessions finish but opens no new sequences: they would be cut off when it leaves
        if (drain.IsDraining)
            throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{modelId}' is on silo {silo}, which is shutting down; retry once it has left (another silo serving '{modelId}' then takes the request)");
        // a span from the request to its slots (not made current: an iterator's ambient state does not outlive a yield)
        using var span = ChorusTelemetry.StartMemberSpan("chorus.member.admit", key, silo, current: false);
        span?.SetTag("chorus.slots", count);
        var updates = scheduler.Admit(owner, count, cancellationToken);
        while (await updates.WaitToReadAsync(cancellationToken))
            while (updates.TryRead(out var update))
            {
                span?.AddEvent(new ActivityEvent(update.GetType().Name));
                yield return update;
            }
    }

    public Task<SequenceOpened> Prefill(SequenceHandle sequence, string prompt, int topK, int positionsTopK, bool evidence, CancellationToken cancellationToken = default) =>
        PrefillCore(sequence, prompt, topK, positionsTopK, evidence, parseSpecial: false, cancellationToken);

    public Task<SequenceOpened> PrefillChat(SequenceHandle sequence, string formattedChat, int topK, int positionsTopK, bool evidence, CancellationToken cancellationToken = default) =>
        PrefillCore(sequence, formattedChat, topK, positionsTopK, evidence, parseSpecial: true, cancellationToken);

    private async Task<SequenceOpened> PrefillCore(SequenceHandle sequence, string prompt, int topK, int positionsTopK, bool evidence, bool parseSpecial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var lease = scheduler.Find(sequence);
        using var use = lease.Use();
        using var span = ChorusTelemetry.StartMemberSpan("chorus.member.prefill", key, silo);
        var started = Stopwatch.GetTimestamp();
        TextEdit plan;
        EditResult result;
        try
        {
            (plan, result) = await Run(lease, prompt.Length, () => lease.Text.PlanPrefill(prompt, WireConversions.ToRequest(topK), evidence, positionsTopK, parseSpecial), cancellationToken);
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            // a context that fills while generating ends a generation; a prompt that cannot fit at all is the request's fault
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"model '{modelId}': the prompt does not fit: {e.Message}");
        }
        var logProbs = result.TokenLogProbs ?? NotComputed(plan.Edit.Tokens.Length);
        var seen = new PromptEvidenceData(plan.Edit.Tokens, logProbs, plan.Offsets, result.Positions?.Select(p => p?.ToData()).ToArray());
        span?.SetTag("chorus.prompt_tokens", plan.Edit.Tokens.Length);
        return new SequenceOpened(seen, result.Next.ToData(), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static float[] NotComputed(int tokens)
    {
        var logProbs = new float[tokens];
        Array.Fill(logProbs, float.NaN);
        return logProbs;
    }

    public Task<SequenceStep> Append(SequenceHandle sequence, int[] tokens, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var lease = scheduler.Find(sequence);
        return Step(lease, 0, () => lease.Text.PlanAppend(tokens, WireConversions.ToRequest(topK)), cancellationToken);
    }

    public Task<SequenceStep> SyncText(SequenceHandle sequence, string text, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lease = scheduler.Find(sequence);
        return Step(lease, text.Length, () => lease.Text.PlanSync(text, WireConversions.ToRequest(topK)), cancellationToken);
    }

    public Task<SequenceStep> SyncTail(SequenceHandle sequence, int keepChars, string tail, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var lease = scheduler.Find(sequence);
        // the text the sequence covers is read where it changes: on the scheduler's thread, after every earlier edit
        return Step(lease, 0, () =>
        {
            var covered = lease.Text.Text;
            if (keepChars < 0 || keepChars > covered.Length)
                throw new ChorusException(ChorusErrorKind.InvalidArgument,
                    $"cannot keep {keepChars} chars of the text a sequence of model '{modelId}' covers ({covered.Length} chars); send the whole text with SyncText");
            return lease.Text.PlanSync(string.Concat(covered.AsSpan(0, keepChars), tail), WireConversions.ToRequest(topK));
        }, cancellationToken);
    }

    public Task<SequenceRows> Extend(SequenceHandle sequence, int keep, int[] tokens, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var lease = scheduler.Find(sequence);
        return Rows(lease, 0, () => (PlanExtend(lease, keep, tokens, WireConversions.ToRequest(topK), allRows: true), null), cancellationToken);
    }

    // keep n tokens, append tokens by id (the text becomes unknown, as with Append)
    private TextEdit PlanExtend(SlotLease lease, int keep, int[] tokens, DistributionRequest request, bool allRows)
    {
        var length = lease.Sequence.Length;
        if (keep < 0 || keep > length)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"cannot keep {keep} tokens of a sequence of model '{modelId}' that holds {length}");
        var edit = lease.Text.PlanAppend(tokens, request);
        return edit with { Edit = edit.Edit with { Keep = keep, AllRows = allRows }, RolledBack = length - keep };
    }

    public async Task<SequenceDraft> Draft(SequenceHandle sequence, DraftRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lease = scheduler.Find(sequence);
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        var proposer = ErrorMapping.Guard(() => new DraftProposer(request, scheduler.Runner.Vocabulary));
        var wire = WireConversions.ToRequest(request.TopK);
        var rows = new List<DistributionData>(request.Count + 1);
        var next = (await Run(lease, 0, () => PlanExtend(lease, request.Keep, request.Tokens, wire, allRows: false), cancellationToken)).Result.Next;
        for (var i = 0; i < request.Count; i++)
        {
            if (request.ReturnRows) rows.Add(next.ToData());
            var token = proposer.Propose(next, i);
            if (proposer.Ended(token) || (i == request.Count - 1 && !request.DecodeLast)) break;
            next = (await Run(lease, 0, () => PlanExtend(lease, lease.Sequence.Length, [token], wire, allRows: false), cancellationToken)).Result.Next;
            if (request.ReturnRows && i == request.Count - 1) rows.Add(next.ToData());
        }
        if (request.ReturnRows && request.Count == 0) rows.Add(next.ToData());
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceDraft(proposer.Tokens, [.. rows], lease.Sequence.Length, ms);
    }

    public Task<SequenceRows> SyncDraft(SequenceHandle sequence, string text, int[] prefixLengths, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(prefixLengths);
        var lease = scheduler.Find(sequence);
        return Rows(lease, text.Length * Math.Max(1, prefixLengths.Length), () => DraftSync.Plan(lease.Text, text, prefixLengths, WireConversions.ToRequest(topK)), cancellationToken);
    }

    public async Task<SequenceHandle> Fork(SequenceHandle sequence)
    {
        var fork = await ErrorMapping.GuardAsync(() => scheduler.Fork(scheduler.Find(sequence)));
        return fork.Handle(key);
    }

    public async Task Close(SequenceHandle sequence)
    {
        if (scheduler.Admission.TryFind(sequence.Lease, out var lease)) await scheduler.Release(lease);
    }

    public Task<int> ReleaseOwner(Guid owner) => scheduler.ReleaseOwner(owner);

    public Task<string> FormatChat(ChatTurn[] messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var lines = new ChatLine[messages.Length];
        for (var i = 0; i < messages.Length; i++) lines[i] = new ChatLine(messages[i].Role, messages[i].Content);
        try
        {
            return Task.FromResult(ChatFormatter.Format(scheduler.Runner.Model.ChatTemplate, lines));
        }
        catch (ArgumentException e)
        {
            throw new ChorusException(ChorusErrorKind.FailedPrecondition, $"model '{modelId}': {e.Message}");
        }
    }

    public Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenizing(text.Length, () =>
        {
            var vocabulary = scheduler.Runner.Vocabulary;
            var ids = vocabulary.Tokenize(text, addSpecial);
            return (ids, ids.Select(id => vocabulary.TokenToString(id, special: true)).ToArray());
        });
    }

    public async Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default)
    {
        var owner = Guid.NewGuid();
        try
        {
            SequenceHandle? handle = null;
            await foreach (var e in Admit(owner, 1, cancellationToken))
                if (e is AdmissionGranted g) handle = g.Handles[0];
            var opened = await Prefill(handle!, context, topK, 0, evidence: false, cancellationToken);
            return (opened.Next, opened.Evidence.TokenIds.Length);
        }
        finally
        {
            await scheduler.ReleaseOwner(owner);
        }
    }

    public Task<TokenizerExport> ExportTokenizer() =>
        Task.Run(() => new TokenizerExport(scheduler.Runner.Vocabulary.ContentHash, ModelExports.TokenizerGguf(scheduler.Runner.Model.FilePath)));

    public Task<EmbeddingExport> ExportEmbeddings() => Task.Run(() =>
    {
        var (data, dimension) = ModelExports.TokenEmbeddingData(scheduler.Runner.Model.FilePath);
        return new EmbeddingExport(dimension, data);
    });

    public Task<SlotUsage> Slots()
    {
        var s = scheduler;
        return Task.FromResult(new SlotUsage(s.Runner.MaxSequences, s.Runner.ActiveSequences, [.. s.Admission.Leases.Select(l => l.Owner).Distinct()],
            s.BatchedSteps, s.Runner.DecodeStatistics.DecodeCalls)
        {
            Waiting = s.Waiting, SweptSequences = s.SweptSequences, Healthy = s.Healthy,
        });
    }

    private async Task<SequenceStep> Step(SlotLease lease, int chars, Func<TextEdit> plan, CancellationToken cancellationToken)
    {
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        var (edit, result) = await Run(lease, chars, plan, cancellationToken);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceStep(result.Next.ToData(), edit.Edit.Tokens, edit.RolledBack, ms)
        {
            QueueMilliseconds = result.QueueMilliseconds, DecodeMilliseconds = result.DecodeMilliseconds, ReadMilliseconds = result.ReadMilliseconds,
        };
    }

    // a multi-row edit: rows[i] picks the edit's row for entry i (null = every row, in order; −1 = not available)
    private async Task<SequenceRows> Rows(SlotLease lease, int chars, Func<(TextEdit Edit, int[]? Rows)> plan, CancellationToken cancellationToken)
    {
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        int[]? rows = null;
        var (edit, result) = await Run(lease, chars, () =>
        {
            var planned = plan();
            rows = planned.Rows;
            return planned.Edit;
        }, cancellationToken);
        var all = result.Rows!;
        var data = rows is null ? new DistributionData?[all.Length] : new DistributionData?[rows.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var row = rows is null ? i : rows[i];
            data[i] = row >= 0 ? all[row].ToData() : null;
        }
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceRows(data, edit.Edit.Tokens, edit.RolledBack, ms);
    }

    // Plans on the scheduler's thread; only a long text is tokenized on the thread pool first (its plan then assumes the
    // sequence unchanged meanwhile, which holds for the one owner that waits for each of its calls).
    private async Task<(TextEdit Plan, EditResult Result)> Run(SlotLease lease, int chars, Func<TextEdit> plan, CancellationToken cancellationToken)
    {
        if (chars > InlineTokenizeChars)
        {
            var planned = await Task.Run(() => ErrorMapping.Guard(plan), cancellationToken);
            plan = () => planned;
        }
        var work = scheduler.EditText(lease, plan, cancellationToken);
        var result = await work.Completion.Task;
        return (work.Planned!, result);
    }

    private static Task<T> Tokenizing<T>(int chars, Func<T> plan) =>
        chars <= InlineTokenizeChars ? Task.FromResult(ErrorMapping.Guard(plan)) : Task.Run(() => ErrorMapping.Guard(plan));
}
