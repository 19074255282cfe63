using System.Collections.Concurrent;
using Chorus.Contracts;
using Chorus.Llama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Grains;

/// <summary>
/// The models this silo serves: loads each GGUF once (weights shared by its replicas), creates a runner per
/// replica, and knows which ids it serves. Owned by the silo; disposed with it.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly Dictionary<string, ModelOptions> _models;
    private readonly ConcurrentDictionary<string, Lazy<LlamaModel>> _loaded = new();
    private readonly ConcurrentDictionary<string, Func<bool>> _replicaHealth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<int>> _replicaSequences = new(StringComparer.Ordinal);
    private readonly ILogger<ModelHost> _logger;

    public ModelHost(IOptions<ChorusOptions> options, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<ModelHost>();
        LlamaBackend.Initialize(loggerFactory);
        _models = new Dictionary<string, ModelOptions>(StringComparer.Ordinal);
        foreach (var m in options.Value.Models)
        {
            if (string.IsNullOrWhiteSpace(m.Id)) throw new ChorusException(ChorusErrorKind.InvalidArgument, $"a configured model has no Id (path '{m.Path}'); give every entry of Chorus:Models an Id");
            if (!_models.TryAdd(m.Id, m)) throw new ChorusException(ChorusErrorKind.InvalidArgument, $"model id '{m.Id}' is configured twice on this silo");
        }
    }

    /// <summary>Configured models of this silo.</summary>
    public IReadOnlyCollection<ModelOptions> Served => _models.Values;

    public bool Serves(string modelId) => _models.ContainsKey(modelId);

    /// <summary>An active replica reports how it is (false once its context stops decoding); untracked on deactivation.</summary>
    public void TrackHealth(string replica, Func<bool> healthy) => _replicaHealth[replica] = healthy;

    public void UntrackHealth(string replica)
    {
        _replicaHealth.TryRemove(replica, out _);
        _replicaSequences.TryRemove(replica, out _);
    }

    /// <summary>An active replica reports its open sequences (a draining silo waits for them); untracked with its health.</summary>
    public void TrackSequences(string replica, Func<int> open) => _replicaSequences[replica] = open;

    /// <summary>Sequences open on this silo's active replicas now.</summary>
    public int OpenSequences
    {
        get
        {
            var total = 0;
            foreach (var open in _replicaSequences.Values) total += open();
            return total;
        }
    }

    /// <summary>Active replicas whose context no longer decodes.</summary>
    public IReadOnlyList<string> UnhealthyReplicas => [.. _replicaHealth.Where(p => !p.Value()).Select(p => p.Key).Order(StringComparer.Ordinal)];

    public ModelOptions Options(string modelId) => _models.TryGetValue(modelId, out var o)
        ? o
        : throw new ChorusException(ChorusErrorKind.Unavailable, $"model '{modelId}' is not served by this silo (serves: {string.Join(", ", _models.Keys)})");

    /// <summary>The loaded model (loaded on first use; a bad file gives InvalidArgument with llama.cpp's reason).</summary>
    public LlamaModel Model(string modelId)
    {
        var options = Options(modelId);
        var lazy = _loaded.GetOrAdd(modelId, _ => new Lazy<LlamaModel>(() => Load(options)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _loaded.TryRemove(modelId, out _); // let a fixed file load next time
            throw;
        }
    }

    /// <summary>A new runner (its own context and KV slots) on the shared model.</summary>
    public ModelRunner CreateRunner(string modelId)
    {
        var o = Options(modelId);
        var model = Model(modelId);
        var trained = model.TrainedContextLength;
        if (o.ContextSize > trained && trained > 0)
            _logger.LogWarning("model {Model}: configured context {Configured} exceeds the {Trained} tokens it was trained on; quality past {Trained} tokens is not to be trusted (leave ContextSize at 0 to use the trained context)",
                modelId, o.ContextSize, trained, trained);
        var runner = new ModelRunner(model, new LlamaContextOptions
        {
            ContextSize = o.ContextSize > 0 ? o.ContextSize : trained,
            MaxSequences = o.MaxSequences,
            BatchSize = Math.Max(o.BatchSize, 1),
            Threads = o.Threads > 0 ? o.Threads : DefaultThreads(o.ThreadPriority),
            ThreadPolling = o.ThreadPolling,
            Priority = o.ThreadPriority,
            FlashAttention = o.FlashAttention,
        }, prefixCache: o.PrefixCache ? new PrefixCacheOptions { MinimumTokens = o.PrefixCacheMinimumTokens } : null);
        if (runner.Context.Priority != o.ThreadPriority)
            _logger.LogWarning("model {Model}: decode threads stay at normal priority: this process may not use real-time scheduling for ThreadPriority={Priority} (grant CAP_SYS_NICE, or raise RLIMIT_RTPRIO, e.g. `ulimit -r 99`)",
                modelId, o.ThreadPriority);
        return runner;
    }

    // ggml's decode threads meet at a spinning barrier after every operation, so a thread that loses its core to anything
    // else stalls the rest: replicas that each take every core slow one another down badly. By default the cores are
    // shared evenly among the silo's model replicas. Leaving a core to the silo's own work cost more than it saved when
    // the client was elsewhere (one model served on 2 cores, asked over HTTP: 1 thread 0.55x of llama-server, 2 threads
    // 0.82x; bench/README.md, "Parity with llama.cpp"). At a raised priority one core is left all the same: real-time
    // decode threads on every core would keep Orleans' membership probes waiting for as long as a long prefill runs.
    private int DefaultThreads(DecodePriority priority)
    {
        var replicas = _models.Values.Sum(m => Math.Max(1, m.Replicas));
        var cores = Environment.ProcessorCount - (priority == DecodePriority.Normal ? 0 : 1);
        return Math.Max(1, cores / Math.Max(1, replicas));
    }

    private LlamaModel Load(ModelOptions o)
    {
        _logger.LogInformation("loading model {Model} from {Path} (gpu {Gpu})", o.Id, o.Path, o.Gpu?.ToString() ?? "none");
        try
        {
            return LlamaModel.Load(o.Path, new LlamaModelOptions { GpuLayers = o.Gpu is null ? 0 : o.GpuLayers, MainGpu = o.Gpu ?? 0 });
        }
        catch (ModelLoadException e)
        {
            throw new ChorusException(ChorusErrorKind.FailedPrecondition, $"model '{o.Id}': {e.Message}");
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _loaded.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
    }
}
