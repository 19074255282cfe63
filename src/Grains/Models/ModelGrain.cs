using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Llama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// One model replica on the silo that serves it. Reentrant: calls of many sessions interleave so that their
/// single-token steps meet in the <see cref="StepBatcher"/> and share one decode. Never migrates.
/// </summary>
[ModelPlacement, Immovable, Reentrant]
internal sealed class ModelGrain(ModelHost host, IOptions<ChorusOptions> options, ILocalSiloDetails silo, ChorusMetrics metrics, ILogger<ModelGrain> logger)
    : Grain, IModelGrain
{
    private readonly Dictionary<Guid, SessionSequence> _sessions = [];
    private ModelRunner? _runner;
    private StepBatcher? _batcher;
    private ModelFacts? _facts;
    private IGrainTimer? _sweep;
    private string _modelId = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _modelId = ServedModels.ModelId(this.GetPrimaryKeyString());
        if (!host.Serves(_modelId))
            throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{_modelId}' is not served by silo {silo.SiloAddress}");
        // loading weights is slow native work: keep it off the grain scheduler
        _runner = await Task.Run(() => ErrorMapping.Guard(() => host.CreateRunner(_modelId)), cancellationToken);
        _batcher = new StepBatcher(_runner, this.GetPrimaryKeyString());
        var s = options.Value.Sessions;
        _sweep = this.RegisterGrainTimer(SweepIdle, new GrainTimerCreationOptions(s.IdleSweepInterval, s.IdleSweepInterval) { Interleave = true });
        logger.LogInformation("model {Model} active on {Silo}: {Description}", this.GetPrimaryKeyString(), silo.SiloAddress, _runner.Model.Description);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _sweep?.Dispose();
        foreach (var s in _sessions.Values) _runner?.Release(s.Sequence);
        _sessions.Clear();
        _batcher?.Dispose();
        _runner?.Dispose();
        return Task.CompletedTask;
    }

    public Task<ModelFacts> Describe() => Task.FromResult(_facts ??= BuildFacts());

    public async Task<SequenceOpened> Open(Guid session, string prompt, int topK, int positionsTopK, CancellationToken cancellationToken = default)
    {
        if (_sessions.ContainsKey(session))
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"session {session} already has a sequence on model '{_modelId}'");
        var started = Stopwatch.GetTimestamp();
        var opened = await Batcher.Run(ct => ErrorMapping.Guard(() =>
        {
            var sequence = Runner.Open();
            var text = new TextSequence(Runner, sequence);
            try
            {
                var prefill = text.Prefill(prompt, WireConversions.ToRequest(topK), positionsTopK, ct);
                return (text, prefill);
            }
            catch
            {
                Runner.Release(sequence);
                throw;
            }
        }), cancellationToken);
        _sessions[session] = new SessionSequence(opened.text);
        metrics.ActiveSequences.Add(1, new KeyValuePair<string, object?>("model", _modelId));
        var evidence = new PromptEvidenceData(opened.text.Sequence.Tokens.ToArray(), opened.prefill.TokenLogProbs, opened.text.Offsets.ToArray(),
            opened.prefill.Positions?.Select(p => p?.ToData()).ToArray());
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new SequenceOpened(evidence, opened.prefill.Next.ToData(), ms);
    }

    public async Task<SequenceStep> Append(Guid session, int[] tokens, int topK, CancellationToken cancellationToken = default)
    {
        var s = Session(session);
        var started = Stopwatch.GetTimestamp();
        s.Busy = true;
        try
        {
            var next = await ErrorMapping.GuardAsync(() => Batcher.Append(s.Sequence, tokens, WireConversions.ToRequest(topK), cancellationToken));
            s.Text.MarkTextUnknown();
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            metrics.StepLatency.Record(ms, new KeyValuePair<string, object?>("model", _modelId));
            return new SequenceStep(next.ToData(), tokens, 0, ms);
        }
        finally
        {
            s.Busy = false;
            s.LastUsed = DateTime.UtcNow;
        }
    }

    public async Task<SequenceStep> SyncText(Guid session, string text, int topK, CancellationToken cancellationToken = default)
    {
        var s = Session(session);
        var started = Stopwatch.GetTimestamp();
        s.Busy = true;
        try
        {
            var (next, decoded, rolledBack) = await Batcher.Run(ct => ErrorMapping.Guard(() => s.Text.Sync(text, WireConversions.ToRequest(topK), ct)), cancellationToken);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            metrics.StepLatency.Record(ms, new KeyValuePair<string, object?>("model", _modelId));
            return new SequenceStep(next.ToData(), decoded, rolledBack, ms);
        }
        finally
        {
            s.Busy = false;
            s.LastUsed = DateTime.UtcNow;
        }
    }

    public async Task Close(Guid session)
    {
        if (!_sessions.Remove(session, out var s)) return;
        await Batcher.Run(_ => { Runner.Release(s.Sequence); return true; }, CancellationToken.None);
        metrics.ActiveSequences.Add(-1, new KeyValuePair<string, object?>("model", _modelId));
    }

    public Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial) => Task.FromResult(ErrorMapping.Guard(() =>
    {
        var ids = Runner.Vocabulary.Tokenize(text, addSpecial);
        return (ids, ids.Select(id => Runner.Vocabulary.TokenToString(id, special: true)).ToArray());
    }));

    public async Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default) =>
        await Batcher.Run(ct => ErrorMapping.Guard(() =>
        {
            var tokens = Runner.Vocabulary.Tokenize(context, addSpecial: true);
            var sequence = Runner.Open();
            try
            {
                return (Runner.Prefill(sequence, tokens, WireConversions.ToRequest(topK), ct).Next.ToData(), tokens.Length);
            }
            finally
            {
                Runner.Release(sequence);
            }
        }), cancellationToken);

    public Task<TokenizerExport> ExportTokenizer() =>
        Task.Run(() => new TokenizerExport(Runner.Vocabulary.ContentHash, ModelExports.TokenizerGguf(Runner.Model.FilePath)));

    public Task<EmbeddingExport> ExportEmbeddings() => Task.Run(() =>
    {
        var (data, dimension) = ModelExports.TokenEmbeddingData(Runner.Model.FilePath);
        return new EmbeddingExport(dimension, data);
    });

    public Task<SlotUsage> Slots() => Task.FromResult(new SlotUsage(
        Runner.MaxSequences, Runner.ActiveSequences, [.. _sessions.Keys], Batcher.BatchedSteps, Runner.DecodeStatistics.DecodeCalls));

    private ModelRunner Runner => _runner ?? throw new InvalidOperationException("model grain is not active");
    private StepBatcher Batcher => _batcher ?? throw new InvalidOperationException("model grain is not active");

    private SessionSequence Session(Guid session) => _sessions.TryGetValue(session, out var s)
        ? s
        : throw new ChorusException(ChorusErrorKind.FailedPrecondition,
            $"session {session} has no open sequence on model '{_modelId}' (closed, idle past {options.Value.Sessions.IdleTimeout}, or never opened)");

    private async Task SweepIdle(CancellationToken cancellationToken)
    {
        var limit = DateTime.UtcNow - options.Value.Sessions.IdleTimeout;
        foreach (var (id, s) in _sessions.Where(p => !p.Value.Busy && p.Value.LastUsed < limit).ToList())
        {
            logger.LogInformation("closing idle sequence of session {Session} on {Model}", id, _modelId);
            await Close(id);
        }
    }

    private ModelFacts BuildFacts()
    {
        var m = Runner.Model;
        var device = host.Options(_modelId).Gpu is { } gpu ? $"gpu{gpu}" : "cpu";
        return new ModelFacts(_modelId, silo.SiloAddress.ToString(), m.FilePath, m.Vocabulary.Kind, m.Vocabulary.ContentHash, m.Vocabulary.Count,
            (long)m.ParameterCount, Runner.SequenceContextSize, Runner.MaxSequences, m.Description, device);
    }
}
