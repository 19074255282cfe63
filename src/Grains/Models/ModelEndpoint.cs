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

    /// <summary>
    /// The one edit verb: checks the request's shape, plans its edit on the scheduler's thread (a whole text may be tokenized
    /// before, on the thread pool), applies it batched with the other ready edits, and answers what it asked for; a draft then
    /// proposes its tokens one decode each.
    /// </summary>
    public async Task<SequenceEditReply> Edit(SequenceHandle sequence, SequenceEditRequest request, CancellationToken cancellationToken = default)
    {
        EditRequestRules.Check(request, modelId, scheduler.Runner.SequenceContextSize);
        var lease = scheduler.Find(sequence);
        using var use = lease.Use();
        var wire = WireConversions.ToRequest(request.TopK);
        if (request.Draft is { } draft) return await Draft(lease, request, draft, wire, cancellationToken);
        var prefill = request.KeepTokens == 0 && request.Text is not null;
        using var span = prefill ? ChorusTelemetry.StartMemberSpan("chorus.member.prefill", key, silo) : null;
        var started = Stopwatch.GetTimestamp();
        var chars = EditPlanner.HasWholeText(request) ? request.Text!.Length * Math.Max(1, request.PrefixLengths?.Length ?? 0) : 0;
        int[]? rows = null;
        TextEdit plan;
        EditResult result;
        try
        {
            (plan, result) = await Run(lease, chars, () =>
            {
                var planned = EditPlanner.Plan(lease.Text, request, wire, modelId);
                rows = planned.Rows;
                return planned.Edit;
            }, cancellationToken);
        }
        catch (ChorusException e) when (prefill && e.Kind == ChorusErrorKind.OutOfRange)
        {
            // a context that fills while generating ends a generation; a prompt that cannot fit at all is the request's fault
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"model '{modelId}': the prompt does not fit: {e.Message}");
        }
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (prefill) span?.SetTag("chorus.prompt_tokens", plan.Edit.Tokens.Length);
        else metrics.StepLatency.Record(ms / 1000, _tag);
        var edit = plan.Edit;
        var many = request.AllRows || request.PrefixLengths is not null;
        return new SequenceEditReply(many ? null : result.Next.ToData(), many ? Rows(result.Rows!, rows) : [], edit.Tokens, plan.RolledBack, edit.Keep + edit.Tokens.Length, ms)
        {
            QueueMilliseconds = result.QueueMilliseconds, DecodeMilliseconds = result.DecodeMilliseconds, ReadMilliseconds = result.ReadMilliseconds,
            Evidence = prefill ? new PromptEvidenceData(edit.Tokens, result.TokenLogProbs ?? NotComputed(edit.Tokens.Length), plan.Offsets,
                result.Positions?.Select(p => p?.ToData()).ToArray()) : null,
        };
    }

    // the reply's rows: picked[i] is the edit's row for entry i (null = every row, in order; −1 = not available)
    private static DistributionData?[] Rows(TokenDistribution[] all, int[]? picked)
    {
        var data = new DistributionData?[picked?.Length ?? all.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var row = picked is null ? i : picked[i];
            data[i] = row >= 0 ? all[row].ToData() : null;
        }
        return data;
    }

    private static float[] NotComputed(int tokens)
    {
        var logProbs = new float[tokens];
        Array.Fill(logProbs, float.NaN);
        return logProbs;
    }

    // The edit, then up to Count proposals, each decoded alone (it depends on the row before it) in its own scheduler edit.
    private async Task<SequenceEditReply> Draft(SlotLease lease, SequenceEditRequest request, EditDraft draft, DistributionRequest wire, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var proposer = ErrorMapping.Guard(() => new DraftProposer(draft, scheduler.Runner.Vocabulary));
        var rows = new List<DistributionData?>(draft.ReturnRows ? draft.Count + 1 : 0);
        var (plan, result) = await Run(lease, 0, () => EditPlanner.Plan(lease.Text, request, wire, modelId).Edit, cancellationToken);
        var (rolledBack, decoded) = (plan.RolledBack, new List<int>(plan.Edit.Tokens));
        var (queue, decode, read) = (result.QueueMilliseconds, result.DecodeMilliseconds, result.ReadMilliseconds);
        var next = result.Next;
        for (var i = 0; i < draft.Count; i++)
        {
            if (draft.ReturnRows) rows.Add(next.ToData());
            var token = proposer.Propose(next, i);
            if (proposer.Ended(token) || (i == draft.Count - 1 && !draft.DecodeLast)) break;
            (plan, result) = await Run(lease, 0, () => lease.Text.PlanAppend([token], wire), cancellationToken);
            decoded.Add(token);
            (queue, decode, read) = (queue + result.QueueMilliseconds, decode + result.DecodeMilliseconds, read + result.ReadMilliseconds);
            next = result.Next;
            if (draft.ReturnRows && i == draft.Count - 1) rows.Add(next.ToData());
        }
        if (draft.ReturnRows && draft.Count == 0) rows.Add(next.ToData());
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceEditReply(null, [.. rows], [.. decoded], rolledBack, plan.Edit.Keep + plan.Edit.Tokens.Length, ms)
        {
            QueueMilliseconds = queue, DecodeMilliseconds = decode, ReadMilliseconds = read, Drafted = proposer.Tokens,
        };
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
            var opened = await Edit(handle!, SequenceEditRequest.Prefill(context, topK), cancellationToken);
            return (opened.Next!, opened.Decoded.Length);
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
