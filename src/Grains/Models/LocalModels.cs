using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The model activations of this silo, by replica key, for the silo's own sessions to call without an Orleans message
/// (issue 19: the call and the queue cost 0.4–0.6 ms per token on top of a 2.2–2.6 ms decode). A model grain registers its
/// endpoint once active and removes it when it deactivates.
/// </summary>
public sealed class LocalModels
{
    // Sessions reach members through the silo's IGrainFactory (FusedRun, the drafter, the scorer): it is the one handle on
    // this silo they hold, so the silo's registry is found through it. Two silos in one process (tests) stay apart.
    private static readonly ConditionalWeakTable<IGrainFactory, LocalModels> BySilo = new();

    private readonly ConcurrentDictionary<string, LocalModel> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _directCalls = new(StringComparer.Ordinal);

    public LocalModels(IGrainFactory grains) => BySilo.AddOrUpdate(grains, this);

    /// <summary>False sends every call through the grain, as before the direct path existed (side-by-side measurement in one silo).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Calls that went straight to model replica <paramref name="key"/> in this silo, without a message (for tests and diagnostics).</summary>
    public long DirectCalls(string key) => _directCalls.TryGetValue(key, out var count) ? Interlocked.Read(ref count.Value) : 0;

    /// <summary>Replica keys active on this silo now.</summary>
    public IReadOnlyCollection<string> Keys => [.. _active.Keys];

    internal static LocalModels? Of(IGrainFactory grains) => BySilo.TryGetValue(grains, out var local) ? local : null;

    internal void Add(LocalModel model) => _active[model.Endpoint.Key] = model;

    internal void Remove(LocalModel model) => _active.TryRemove(new KeyValuePair<string, LocalModel>(model.Endpoint.Key, model));

    internal bool TryGet(string key, out LocalModel model) => _active.TryGetValue(key, out model!);

    internal void CountDirectCall(string key) => Interlocked.Increment(ref _directCalls.GetOrAdd(key, static _ => new StrongBox<long>()).Value);
}
