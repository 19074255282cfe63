using System.Diagnostics.Metrics;

namespace Chorus.Grains;

/// <summary>The cluster's OpenTelemetry instruments (meter "Chorus").</summary>
public sealed class ChorusMetrics : IDisposable
{
    public const string MeterName = "Chorus";
    private readonly Meter _meter;

    public ChorusMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Tokens = _meter.CreateCounter<long>("chorus.tokens.generated", "{token}", "Fused tokens generated");
        StepLatency = _meter.CreateHistogram<double>("chorus.member.step.duration", "ms", "Latency of one member step (queueing and batching included)");
        FusionTime = _meter.CreateHistogram<double>("chorus.fusion.duration", "ms", "Time to fuse one step");
        ActiveSessions = _meter.CreateUpDownCounter<long>("chorus.sessions.active", "{session}", "Fusion sessions running");
        ActiveSequences = _meter.CreateUpDownCounter<long>("chorus.sequences.active", "{sequence}", "Member sequences holding a KV slot");
        QueueLength = _meter.CreateUpDownCounter<long>("chorus.queue.length", "{request}", "Requests waiting for a model's slots");
        QueueWait = _meter.CreateHistogram<double>("chorus.queue.wait.duration", "ms", "How long a request waited for a model's slots");
        StepPart = _meter.CreateHistogram<double>("chorus.step.part.duration", "ms",
            "Mean time per fused step of one generation, by part (tag part: call, transport, queue, decode, read, grain, sample, stream)");
        SweptSequences = _meter.CreateCounter<long>("chorus.sequences.swept", "{sequence}", "Sequences the idle sweep had to free (their owner never did; should stay 0)");
    }

    public Counter<long> Tokens { get; }
    public Histogram<double> StepLatency { get; }
    public Histogram<double> FusionTime { get; }
    public UpDownCounter<long> ActiveSessions { get; }
    public UpDownCounter<long> ActiveSequences { get; }
    public UpDownCounter<long> QueueLength { get; }
    public Histogram<double> QueueWait { get; }
    public Counter<long> SweptSequences { get; }
    public Histogram<double> StepPart { get; }

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

    private void Record(double ms, string part) => StepPart.Record(ms, new KeyValuePair<string, object?>("part", part));

    public void Dispose() => _meter.Dispose();
}
