using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Llama;
using Chorus.Llama.Chat;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// One model replica on the silo that serves it. Reentrant: calls of many sessions interleave so that their edits
/// meet in the <see cref="ModelScheduler"/> and share one decode. Tokenizing runs here or on the thread pool, never
/// on the scheduler's decode thread. Never migrates.
/// </summary>
[ModelPlacement, Immovable, Reentrant]
internal sealed class ModelGrain(
    ModelHost host, IOptions<ChorusOptions> options, ILocalSiloDetails silo, ChorusMetrics metrics, SiloDrain drain, ClusterModelDirectory directory, ILogger<ModelGrain> logger)
    : Grain, IModelGrain
{
    // texts longer than this are tokenized on the thread pool, so a large prompt does not hold this activation's turn
    private const int InlineTokenizeChars = 4096;

    private ModelScheduler? _scheduler;
    private ModelFacts? _facts;
    private IGrainTimer? _sweep;
    private string _modelId = "";
    private KeyValuePair<string, object?> _tag;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _modelId = ServedModels.ModelId(this.GetPrimaryKeyString());
        if (!host.Serves(_modelId))
            throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{_modelId}' is not served by silo {silo.SiloAddress}");
        // loading weights is slow native work: keep it off the grain scheduler
        var runner = await Task.Run(() => ErrorMapping.Guard(() => host.CreateRunner(_modelId)), cancellationToken);
        var s = options.Value.Sessions;
        _tag = new KeyValuePair<string, object?>("model", this.GetPrimaryKeyString());
        _scheduler = new ModelScheduler(runner, this.GetPrimaryKeyString(), s.QueueDepth, TimeSpan.FromMilliseconds(s.MaxQueueMilliseconds), logger);
        _scheduler.Admission.SlotsChanged += n => metrics.ActiveSequences.Add(n, _tag);
        _scheduler.Admission.WaitStarted += () => metrics.QueueLength.Add(1, _tag);
        _scheduler.Admission.WaitEnded += waited =>
        {
            metrics.QueueLength.Add(-1, _tag);
            metrics.QueueWait.Record(waited.TotalSeconds, _tag);
        };
        var scheduler = _scheduler;
        host.TrackHealth(this.GetPrimaryKeyString(), () => scheduler.Healthy);
        host.TrackSequences(this.GetPrimaryKeyString(), () => scheduler.Runner.ActiveSequences);
        metrics.TrackSlots(this.GetPrimaryKeyString(), () => (scheduler.Runner.ActiveSequences, scheduler.Runner.MaxSequences));
        _sweep = this.RegisterGrainTimer(SweepIdle, new GrainTimerCreationOptions(s.IdleSweepInterval, s.IdleSweepInterval) { Interleave = true });
        logger.LogInformation("model {Model} active on {Silo}: {Description}, {Slots} slots of {Context} tokens", this.GetPrimaryKeyString(), silo.SiloAddress,
            runner.Model.Description, runner.MaxSequences, runner.SequenceContextSize);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        logger.LogInformation("model {Model} deactivating on {Silo} with {Sequences} sequence(s) open: {Reason}", this.GetPrimaryKeyString(), silo.SiloAddress,
            _scheduler?.Runner.ActiveSequences ?? 0, reason);
        _sweep?.Dispose();
        host.UntrackHealth(this.GetPrimaryKeyString());
        metrics.UntrackSlots(this.GetPrimaryKeyString());
        _scheduler?.Dispose(); // fails waiters, frees every sequence, then the thread ends
        _scheduler?.Runner.Dispose();
        return Task.CompletedTask;
    }

    public Task<ModelFacts> Describe() => Task.FromResult(_facts ??= BuildFacts());

    public async IAsyncEnumerable<AdmissionEvent> Admit(Guid owner, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // a draining silo lets its sessions finish but opens no new sequences: they would be cut off when it leaves
        if (drain.IsDraining)
            throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{_modelId}' is on silo {silo.SiloAddress}, which is shutting down; retry once it has left (another silo serving '{_modelId}' then takes the request)");
        // a span from the request to its slots (not made current: an iterator's ambient state does not outlive a yield)
        using var span = ChorusTelemetry.StartMemberSpan("chorus.member.admit", this.GetPrimaryKeyString(), silo.SiloAddress, current: false);
        span?.SetTag("chorus.slots", count);
        var updates = Scheduler.Admit(owner, count, cancellationToken);
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
        var lease = Scheduler.Find(sequence);
        using var use = lease.Use();
        using var span = ChorusTelemetry.StartMemberSpan("chorus.member.prefill", this.GetPrimaryKeyString(), silo.SiloAddress);
        var started = Stopwatch.GetTimestamp();
        var plan = await Tokenizing(prompt.Length, () => lease.Text.PlanPrefill(prompt, WireConversions.ToRequest(topK), evidence, positionsTopK, parseSpecial));
        var result = await ErrorMapping.GuardAsync(() => Scheduler.Edit(lease, plan.Edit, cancellationToken));
        lease.Text.Commit(plan);
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
        var lease = Scheduler.Find(sequence);
        return Step(lease, lease.Text.PlanAppend(tokens, WireConversions.ToRequest(topK)), cancellationToken);
    }

    public async Task<SequenceStep> SyncText(SequenceHandle sequence, string text, int topK, CancellationToken cancellationToken = default)
    {
        var lease = Scheduler.Find(sequence);
        var plan = await Tokenizing(text.Length, () => lease.Text.PlanSync(text, WireConversions.ToRequest(topK)));
        return await Step(lease, plan, cancellationToken);
    }

    public async Task<SequenceStep> SyncTail(SequenceHandle sequence, int keepChars, string tail, int topK, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var lease = Scheduler.Find(sequence);
        var covered = lease.Text.Text;
        if (keepChars < 0 || keepChars > covered.Length)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                $"cannot keep {keepChars} chars of the text a sequence of model '{_modelId}' covers ({covered.Length} chars); send the whole text with SyncText");
        var text = string.Concat(covered.AsSpan(0, keepChars), tail);
        var plan = await Tokenizing(tail.Length, () => lease.Text.PlanSync(text, WireConversions.ToRequest(topK)));
        return await Step(lease, plan, cancellationToken);
    }

    public Task<SequenceRows> Extend(SequenceHandle sequence, int keep, int[] tokens, int topK, CancellationToken cancellationToken = default)
    {
        var lease = Scheduler.Find(sequence);
        return Rows(lease, PlanExtend(lease, keep, tokens, WireConversions.ToRequest(topK), allRows: true), null, cancellationToken);
    }

    // keep n tokens, append tokens by id (the text becomes unknown, as with Append)
    private TextEdit PlanExtend(SlotLease lease, int keep, int[] tokens, DistributionRequest request, bool allRows)
    {
        var length = lease.Sequence.Length;
        if (keep < 0 || keep > length)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"cannot keep {keep} tokens of a sequence of model '{_modelId}' that holds {length}");
        var edit = lease.Text.PlanAppend(tokens, request);
        return edit with { Edit = edit.Edit with { Keep = keep, AllRows = allRows }, RolledBack = length - keep };
    }

    public async Task<SequenceDraft> Draft(SequenceHandle sequence, DraftRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lease = Scheduler.Find(sequence);
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        var proposer = ErrorMapping.Guard(() => new DraftProposer(request, Scheduler.Runner.Vocabulary));
        var wire = WireConversions.ToRequest(request.TopK);
        var rows = new List<DistributionData>(request.Count + 1);
        var next = (await Run(lease, PlanExtend(lease, request.Keep, request.Tokens, wire, allRows: false), cancellationToken)).Next;
        for (var i = 0; i < request.Count; i++)
        {
            if (request.ReturnRows) rows.Add(next.ToData());
            var token = proposer.Propose(next, i);
            if (proposer.Ended(token) || (i == request.Count - 1 && !request.DecodeLast)) break;
            next = (await Run(lease, PlanExtend(lease, lease.Sequence.Length, [token], wire, allRows: false), cancellationToken)).Next;
            if (request.ReturnRows && i == request.Count - 1) rows.Add(next.ToData());
        }
        if (request.ReturnRows && request.Count == 0) rows.Add(next.ToData());
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceDraft(proposer.Tokens, [.. rows], lease.Sequence.Length, ms);
    }

    public async Task<SequenceRows> SyncDraft(SequenceHandle sequence, string text, int[] prefixLengths, int topK, CancellationToken cancellationToken = default)
    {
        var lease = Scheduler.Find(sequence);
        var (edit, rows) = await Tokenizing(text.Length * Math.Max(1, prefixLengths.Length), () => DraftSync.Plan(lease.Text, text, prefixLengths, WireConversions.ToRequest(topK)));
        return await Rows(lease, edit, rows, cancellationToken);
    }

    public async Task<SequenceHandle> Fork(SequenceHandle sequence)
    {
        var fork = await Scheduler.Fork(Scheduler.Find(sequence));
        return fork.Handle(this.GetPrimaryKeyString());
    }

    public async Task Close(SequenceHandle sequence)
    {
        if (Scheduler.Admission.TryFind(sequence.Lease, out var lease)) await Scheduler.Release(lease);
    }

    public Task<int> ReleaseOwner(Guid owner) => Scheduler.ReleaseOwner(owner);

    public Task<string> FormatChat(ChatTurn[] messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var lines = new ChatLine[messages.Length];
        for (var i = 0; i < messages.Length; i++) lines[i] = new ChatLine(messages[i].Role, messages[i].Content);
        try
        {
            return Task.FromResult(ChatFormatter.Format(Scheduler.Runner.Model.ChatTemplate, lines));
        }
        catch (ArgumentException e)
        {
            throw new ChorusException(ChorusErrorKind.FailedPrecondition, $"model '{_modelId}': {e.Message}");
        }
    }

    public Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial) => Tokenizing(text.Length, () =>
    {
        var vocabulary = Scheduler.Runner.Vocabulary;
        var ids = vocabulary.Tokenize(text, addSpecial);
        return (ids, ids.Select(id => vocabulary.TokenToString(id, special: true)).ToArray());
    });

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
            await Scheduler.ReleaseOwner(owner);
        }
    }

    public Task<TokenizerExport> ExportTokenizer() =>
        Task.Run(() => new TokenizerExport(Scheduler.Runner.Vocabulary.ContentHash, ModelExports.TokenizerGguf(Scheduler.Runner.Model.FilePath)));

    public Task<EmbeddingExport> ExportEmbeddings() => Task.Run(() =>
    {
        var (data, dimension) = ModelExports.TokenEmbeddingData(Scheduler.Runner.Model.FilePath);
        return new EmbeddingExport(dimension, data);
    });

    public Task<SlotUsage> Slots()
    {
        var s = Scheduler;
        return Task.FromResult(new SlotUsage(s.Runner.MaxSequences, s.Runner.ActiveSequences, [.. s.Admission.Leases.Select(l => l.Owner).Distinct()],
            s.BatchedSteps, s.Runner.DecodeStatistics.DecodeCalls)
        {
            Waiting = s.Waiting, SweptSequences = s.SweptSequences, Healthy = s.Healthy,
        });
    }

    private ModelScheduler Scheduler => _scheduler ?? throw new InvalidOperationException("model grain is not active");

    private async Task<SequenceStep> Step(SlotLease lease, TextEdit plan, CancellationToken cancellationToken)
    {
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        var result = await Run(lease, plan, cancellationToken);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceStep(result.Next.ToData(), plan.Edit.Tokens, plan.RolledBack, ms)
        {
            QueueMilliseconds = result.QueueMilliseconds, DecodeMilliseconds = result.DecodeMilliseconds, ReadMilliseconds = result.ReadMilliseconds,
        };
    }

    // a multi-row edit: rows[i] picks the edit's row for entry i (null = every row, in order; −1 = not available)
    private async Task<SequenceRows> Rows(SlotLease lease, TextEdit plan, int[]? rows, CancellationToken cancellationToken)
    {
        using var use = lease.Use();
        var started = Stopwatch.GetTimestamp();
        var result = await Run(lease, plan, cancellationToken);
        var all = result.Rows!;
        var data = rows is null ? new DistributionData?[all.Length] : new DistributionData?[rows.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var row = rows is null ? i : rows[i];
            data[i] = row >= 0 ? all[row].ToData() : null;
        }
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.StepLatency.Record(ms / 1000, _tag);
        return new SequenceRows(data, plan.Edit.Tokens, plan.RolledBack, ms);
    }

    private async Task<EditResult> Run(SlotLease lease, TextEdit plan, CancellationToken cancellationToken)
    {
        EditResult result;
        try
        {
            result = await Scheduler.Edit(lease, plan.Edit, cancellationToken);
        }
        catch (ContextOverflowException e)
        {
            throw new ChorusException(ChorusErrorKind.OutOfRange, $"model '{_modelId}': {e.Message}");
        }
        catch (Exception e) when (ErrorMapping.Map(e) is { } mapped)
        {
            throw mapped;
        }
        lease.Text.Commit(plan);
        return result;
    }

    private static Task<T> Tokenizing<T>(int chars, Func<T> plan) =>
        chars <= InlineTokenizeChars ? Task.FromResult(ErrorMapping.Guard(plan)) : Task.Run(() => ErrorMapping.Guard(plan));

    private async Task SweepIdle(CancellationToken cancellationToken)
    {
        var owners = await Scheduler.Sweep(options.Value.Sessions.IdleTimeout);
        MoveIfIdleAndMisplaced();
        if (owners.Count == 0) return;
        metrics.SweptSequences.Add(owners.Count, _tag);
        logger.LogWarning("model {Model}: the idle sweep freed {Count} sequence(s) whose session never released them (sessions {Sessions})",
            this.GetPrimaryKeyString(), owners.Count, string.Join(", ", owners.Distinct()));
    }

    // After silos came and went, two replica keys of a model can share a silo (an activation stays where it was placed):
    // an idle replica whose key now belongs on another live silo deactivates, and its next use places it there.
    private void MoveIfIdleAndMisplaced()
    {
        if (Scheduler.Runner.ActiveSequences > 0 || Scheduler.Waiting > 0 || drain.IsDraining) return;
        if (directory.Owner(this.GetPrimaryKeyString()) is not { } owner || owner.Equals(silo.SiloAddress)) return;
        logger.LogInformation("model {Model}: idle on {Silo} but its replica key belongs on {Owner} now (silos came or went); deactivating so that its next use lands there",
            this.GetPrimaryKeyString(), silo.SiloAddress, owner);
        this.DeactivateOnIdle();
    }

    private ModelFacts BuildFacts()
    {
        var r = Scheduler.Runner;
        var m = r.Model;
        var device = host.Options(_modelId).Gpu is { } gpu ? $"gpu{gpu}" : "cpu";
        return new ModelFacts(_modelId, silo.SiloAddress.ToString(), m.FilePath, m.Vocabulary.Kind, m.Vocabulary.ContentHash, m.Vocabulary.Count,
            (long)m.ParameterCount, r.SequenceContextSize, r.MaxSequences, m.Description, device) { ChatTemplate = m.ChatTemplate };
    }
}
