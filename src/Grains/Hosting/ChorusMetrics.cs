using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Chorus.Grains;

/// <summary>
/// The cluster's OpenTelemetry instruments (meter "Chorus"), all durations in seconds. Request instruments carry the labels of
/// <see cref="RequestLabels"/> (model, pack, method, front_end); model instruments carry <c>model</c> (the replica's key).
/// Every instrument is documented in docs/observability.md.
/// </summary>
public sealed class ChorusMetrics : IDisposable
{
    public const string MeterName = "Chorus";

    // from 1 ms (a fused step of small models) to 2 minutes (a long generation); Prometheus needs the bounds up front
    private static readonly double[] LatencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120];
    // rows or sequences of one llama_decode: a decode row per running sequence up to a full prefill batch
    private static readonly double[] BatchBounds = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024, 2048];
    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, Func<(int Used, int Total)>> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<(long HitTokens, long PrefillTokens)>> _prefixes = new(StringComparer.Ordinal);

    public ChorusMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        TimeToFirstToken = Seconds("chorus.request.time_to_first_token", "From the request reaching the gateway to its first generated token");
        InterTokenLatency = Seconds("chorus.request.inter_token_latency", "Mean time between the tokens of one request after the first (requests of two or more tokens)");
        RequestDuration = Seconds("chorus.request.duration", "End-to-end time of a generation at the gateway, from the request to its last event");
        RequestQueueTime = Seconds("chorus.request.queue.duration", "Time a request waited for every member's KV slots before its prefill");
        RequestPrefillTime = Seconds("chorus.request.prefill.duration", "Time to prefill every member's prompt (members in parallel)");
        Requests = _meter.CreateCounter<long>("chorus.requests", "{request}", "Generations by status (ok, invalid_argument, resource_exhausted, unavailable, cancelled, …) and finish reason");
        PromptTokens = _meter.CreateCounter<long>("chorus.tokens.prompt", "{token}", "Prompt tokens of the main member, per request");
        Tokens = _meter.CreateCounter<long>("chorus.tokens.generated", "{token}", "Fused tokens generated (characters for method byte)");
        RunningSessions = _meter.CreateUpDownCounter<long>("chorus.sessions.running", "{session}", "Generations past admission: prefilling or stepping");
        WaitingSessions = _meter.CreateUpDownCounter<long>("chorus.sessions.waiting", "{session}", "Generations waiting for members' KV slots");
        _meter.CreateObservableGauge("chorus.kv.sequences.used", () => ObserveSlots(used: true), "{sequence}", "KV sequences (slots) of a model replica in use");
        _meter.CreateObservableGauge("chorus.kv.sequences.capacity", () => ObserveSlots(used: false), "{sequence}", "KV sequences (slots) a model replica has");
        StepLatency = Seconds("chorus.member.step.duration", "Latency of one member step at the model grain (queueing and batching included)");
        FusionTime = Seconds("chorus.fusion.duration", "Time to fuse one step (one round for speculative generation, one character for method byte, one scored unit when scoring)");
        ActiveSessions = _meter.CreateUpDownCounter<long>("chorus.sessions.active", "{session}", "Fusion session grains running a generation on this silo");
        ActiveSequences = _meter.CreateUpDownCounter<long>("chorus.sequences.active", "{sequence}", "Member sequences holding a KV slot");
        QueueLength = _meter.CreateUpDownCounter<long>("chorus.queue.length", "{request}", "Requests waiting for a model's slots");
        QueueWait = Seconds("chorus.queue.wait.duration", "How long a request waited for one model's slots");
        StepPart = Seconds("chorus.step.part.duration",
            "Mean time per fused step of one generation, by part (tag part: call, transport, queue, decode, read, grain, sample, stream)");
        DecodeRows = _meter.CreateHistogram("chorus.decode.rows", "{token}", "Rows (tokens) of one llama_decode of a model replica: decode rows of running sequences plus prefill chunks",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchBounds });
        DecodeSequences = _meter.CreateHistogram("chorus.decode.sequences", "{sequence}", "Sequences one llama_decode of a model replica carried rows of (how full batches are)",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchBounds });
        DecodeTime = Seconds("chorus.decode.duration", "Time of one decode step of a model replica, llama_decode and row reads together");
        _meter.CreateObservableCounter("chorus.prefill.tokens", () => ObservePrefixes(hits: false), "{token}",
            "Prompt tokens of edits that start a model's sequence from position 0 (prefills), cached prefixes included");
        _meter.CreateObservableCounter("chorus.prefix.hit_tokens", () => ObservePrefixes(hits: true), "{token}",
            "Of chorus.prefill.tokens, those a model's prefix cache served instead of decoding them");
        SweptSequences = _meter.CreateCounter<long>("chorus.sequences.swept", "{sequence}", "Sequences the idle sweep had to free (their owner never did; should stay 0)");
    }

    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> InterTokenLatency { get; }
    public Histogram<double> RequestDuration { get; }
    public Histogram<double> RequestQueueTime { get; }
    public Histogram<double> RequestPrefillTime { get; }
    public Counter<long> Requests { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> Tokens { get; }
    public UpDownCounter<long> RunningSessions { get; }
    public UpDownCounter<long> WaitingSessions { get; }
    public Histogram<double> StepLatency { get; }
    public Histogram<double> FusionTime { get; }
    public UpDownCounter<long> ActiveSessions { get; }
    public UpDownCounter<long> ActiveSequences { get; }
    public UpDownCounter<long> QueueLength { get; }
    public Histogram<double> QueueWait { get; }
    public Counter<long> SweptSequences { get; }
    public Histogram<double> StepPart { get; }
    public Histogram<double> DecodeRows { get; }
    public Histogram<double> DecodeSequences { get; }
    public Histogram<double> DecodeTime { get; }

    /// <summary>Reports a model replica's KV slots (in use, total) until <see cref="UntrackSlots"/>.</summary>
    public void TrackSlots(string replica, Func<(int Used, int Total)> slots) => _slots[replica] = slots;

    public void UntrackSlots(string replica) => _slots.TryRemove(replica, out _);

    /// <summary>Reports a model replica's prefilled and prefix-cache-hit tokens (running totals) until <see cref="UntrackPrefixes"/>.</summary>
    public void TrackPrefixes(string replica, Func<(long HitTokens, long PrefillTokens)> totals) => _prefixes[replica] = totals;

    public void UntrackPrefixes(string replica) => _prefixes.TryRemove(replica, out _);

    private IEnumerable<Measurement<long>> ObservePrefixes(bool hits)
    {
        foreach (var (replica, totals) in _prefixes)
        {
            var (hit, prefill) = totals();
            yield return new Measurement<long>(hits ? hit : prefill, new KeyValuePair<string, object?>("model", replica));
        }
    }

    private IEnumerable<Measurement<long>> ObserveSlots(bool used)
    {
        foreach (var (replica, slots) in _slots)
        {
            var (inUse, total) = slots();
            yield return new Measurement<long>(used ? inUse : total, new KeyValuePair<string, object?>("model", replica));
        }
    }

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBounds });

    internal void RecordSplit(StepTimings timings)
    {
        if (timings.Steps == 0) return;
        var m = timings.Means();
        Record(m.CallMilliseconds, "call");
        Record(m.TransportMilliseconds, "transport");
        Record(m.QueueMilliseconds, "queue");
        Record(m.DecodeMilliseconds, "decode");
        Record(m.ReadMilliseconds, "read");
        Record(m.GrainMilliseconds, "grain");
        Record(m.SampleMilliseconds, "sample");
        Record(m.StreamMilliseconds, "stream");
    }

    private void Record(double ms, string part) => StepPart.Record(ms / 1000, new KeyValuePair<string, object?>("part", part));

    public void Dispose() => _meter.Dispose();
}
