using Chorus.Contracts;
using Chorus.Llama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// One model replica on the silo that serves it: owns its runner and scheduler for the activation's life, and serves callers
/// elsewhere through <see cref="ModelEndpoint"/>, which the silo's own sessions call directly (<see cref="LocalModels"/>).
/// Reentrant: calls of many sessions interleave so that their edits meet in the <see cref="ModelScheduler"/> and share one
/// decode. Never migrates.
/// </summary>
[ModelPlacement, Immovable, Reentrant]
internal sealed class ModelGrain(
    ModelHost host, IOptions<ChorusOptions> options, ILocalSiloDetails silo, ChorusMetrics metrics, SiloDrain drain, ClusterModelDirectory directory,
    LocalModels local, ILogger<ModelGrain> logger)
    : Grain, IModelGrain
{
    // how long a deactivation waits for direct calls still inside before it frees the runner (they fail at once: the scheduler has stopped)
    private static readonly TimeSpan DirectCallsDrain = TimeSpan.FromSeconds(30);

    private ModelEndpoint? _endpoint;
    private LocalModel? _local;
    private IGrainTimer? _sweep;
    private string _modelId = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        SiloReachability.AddLocal(silo.SiloAddress.Endpoint);
        _modelId = ServedModels.ModelId(key);
        if (!host.Serves(_modelId))
            throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{_modelId}' is not served by silo {silo.SiloAddress}");
        // loading weights is slow native work: keep it off the grain scheduler
        var runner = await Task.Run(() => ErrorMapping.Guard(() => host.CreateRunner(_modelId)), cancellationToken);
        var s = options.Value.Sessions;
        var tag = new KeyValuePair<string, object?>("model", key);
        var model = host.Options(_modelId);
        var scheduler = new ModelScheduler(runner, key, s.QueueDepth, TimeSpan.FromMilliseconds(s.MaxQueueMilliseconds), logger,
            new StepOptions(model.PrefillStretch, model.GatherSteps));
        scheduler.Decoded += step =>
        {
            metrics.DecodeRows.Record(step.Rows, tag);
            metrics.DecodeSequences.Record(step.Sequences, tag);
            metrics.DecodeTime.Record(step.Milliseconds / 1000, tag);
        };
        scheduler.Admission.SlotsChanged += n => metrics.ActiveSequences.Add(n, tag);
        scheduler.Admission.WaitStarted += () => metrics.QueueLength.Add(1, tag);
        scheduler.Admission.WaitEnded += waited =>
        {
            metrics.QueueLength.Add(-1, tag);
            metrics.QueueWait.Record(waited.TotalSeconds, tag);
        };
        host.TrackHealth(key, () => scheduler.Healthy);
        host.TrackSequences(key, () => scheduler.Runner.ActiveSequences);
        metrics.TrackSlots(key, () => (scheduler.Runner.ActiveSequences, scheduler.Runner.MaxSequences));
        metrics.TrackPrefixes(key, () => scheduler.Runner.PrefixStatistics);
        _endpoint = new ModelEndpoint(scheduler, key, _modelId, BuildFacts(runner), silo.SiloAddress, metrics, drain);
        _local = new LocalModel(_endpoint, GrainContext);
        local.Add(_local);
        _sweep = this.RegisterGrainTimer(SweepIdle, new GrainTimerCreationOptions(s.IdleSweepInterval, s.IdleSweepInterval) { Interleave = true });
        logger.LogInformation("model {Model} active on {Silo}: {Description}, {Slots} slots of {Context} tokens", key, silo.SiloAddress,
            runner.Model.Description, runner.MaxSequences, runner.SequenceContextSize);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var scheduler = _endpoint?.Scheduler;
        logger.LogInformation("model {Model} deactivating on {Silo} with {Sequences} sequence(s) open: {Reason}", key, silo.SiloAddress,
            scheduler?.Runner.ActiveSequences ?? 0, reason);
        _sweep?.Dispose();
        if (_local is not null) local.Remove(_local);
        host.UntrackHealth(key);
        metrics.UntrackSlots(key);
        metrics.UntrackPrefixes(key);
        scheduler?.Dispose(); // fails waiters, frees every sequence, then the thread ends
        // a direct call still inside may be tokenizing with the runner's vocabulary: free the runner only once it has left
        if (_local is not null && !await _local.CloseAsync(DirectCallsDrain))
        {
            logger.LogError("model {Model}: direct calls were still running {Wait} after deactivation; its runner is left to the finalizer", key, DirectCallsDrain);
            return;
        }
        scheduler?.Runner.Dispose();
    }

    public Task<ModelFacts> Describe() => Endpoint.Describe();

    public IAsyncEnumerable<AdmissionEvent> Admit(Guid owner, int count, CancellationToken cancellationToken = default) => Endpoint.Admit(owner, count, cancellationToken);

    public Task<SequenceEditReply> Edit(SequenceHandle sequence, SequenceEditRequest request, CancellationToken cancellationToken = default) =>
        Endpoint.Edit(sequence, request, cancellationToken);

    public Task<SequenceHandle> Fork(SequenceHandle sequence) => Endpoint.Fork(sequence);

    public Task Close(SequenceHandle sequence) => Endpoint.Close(sequence);

    public Task<int> ReleaseOwner(Guid owner) => Endpoint.ReleaseOwner(owner);

    public Task<string> FormatChat(ChatTurn[] messages) => Endpoint.FormatChat(messages);

    public Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial) => Endpoint.Tokenize(text, addSpecial);

    public Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default) =>
        Endpoint.StepLogits(context, topK, cancellationToken);

    public Task<TokenizerExport> ExportTokenizer() => Endpoint.ExportTokenizer();

    public Task<EmbeddingExport> ExportEmbeddings() => Endpoint.ExportEmbeddings();

    public Task<SlotUsage> Slots() => Endpoint.Slots();

    private ModelEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("model grain is not active");

    private async Task SweepIdle(CancellationToken cancellationToken)
    {
        var scheduler = Endpoint.Scheduler;
        // sessions in this silo call without a message, which Orleans does not see: a model that holds sequences or
        // waiting requests is in use, and is not collected as idle under them
        if (scheduler.Runner.ActiveSequences > 0 || scheduler.Waiting > 0) DelayDeactivation(options.Value.Sessions.IdleSweepInterval * 2);
        var owners = await scheduler.Sweep(options.Value.Sessions.IdleTimeout);
        MoveIfIdleAndMisplaced(scheduler);
        if (owners.Count == 0) return;
        metrics.SweptSequences.Add(owners.Count, new KeyValuePair<string, object?>("model", this.GetPrimaryKeyString()));
        logger.LogWarning("model {Model}: the idle sweep freed {Count} sequence(s) whose session never released them (sessions {Sessions})",
            this.GetPrimaryKeyString(), owners.Count, string.Join(", ", owners.Distinct()));
    }

    // After silos came and went, two replica keys of a model can share a silo (an activation stays where it was placed):
    // an idle replica whose key now belongs on another live silo deactivates, and its next use places it there.
    private void MoveIfIdleAndMisplaced(ModelScheduler scheduler)
    {
        if (scheduler.Runner.ActiveSequences > 0 || scheduler.Waiting > 0 || drain.IsDraining) return;
        if (directory.Owner(this.GetPrimaryKeyString()) is not { } owner || owner.Equals(silo.SiloAddress)) return;
        logger.LogInformation("model {Model}: idle on {Silo} but its replica key belongs on {Owner} now (silos came or went); deactivating so that its next use lands there",
            this.GetPrimaryKeyString(), silo.SiloAddress, owner);
        this.DeactivateOnIdle();
    }

    private ModelFacts BuildFacts(ModelRunner r)
    {
        var m = r.Model;
        var device = host.Options(_modelId).Gpu is { } gpu ? $"gpu{gpu}" : "cpu";
        return new ModelFacts(_modelId, silo.SiloAddress.ToString(), m.FilePath, m.Vocabulary.Kind, m.Vocabulary.ContentHash, m.Vocabulary.Count,
            (long)m.ParameterCount, r.SequenceContextSize, r.MaxSequences, m.Description, device) { ChatTemplate = m.ChatTemplate };
    }
}
