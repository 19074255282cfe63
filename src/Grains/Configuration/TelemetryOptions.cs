namespace Chorus.Grains;

/// <summary>The <c>Chorus:Telemetry</c> section: tracing export (metrics are always on; see docs/observability.md).</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// An OTLP collector (e.g. http://otel-collector:4317); when set, traces — and metrics, beside the Prometheus
    /// endpoint — are exported there. The standard OTEL_EXPORTER_OTLP_* variables tune the exporter (protocol, headers).
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Fraction of new traces recorded (0..1); a request that arrives with a sampled trace context is always recorded.</summary>
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>
    /// Record a span for every grain call of a request, the per-step member calls included (steps are events on the
    /// session span either way). Off: only the calls that link silos — admission, prefill, the session — are spans.
    /// </summary>
    public bool StepSpans { get; set; }
}
