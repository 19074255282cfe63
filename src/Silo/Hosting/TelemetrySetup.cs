using Chorus.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Chorus.Silo;

/// <summary>
/// Metrics and traces of a silo (docs/observability.md): Chorus' own meter and spans, the ASP.NET Core, Kestrel, gRPC,
/// Orleans and .NET runtime meters; Prometheus on the metrics port, OTLP when <c>Chorus:Telemetry:OtlpEndpoint</c> is set.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>
    /// The meters exported beside Chorus' own, all built into .NET 10, ASP.NET Core and Orleans. gRPC has no meter of its
    /// own: its calls are ASP.NET Core's HTTP requests, by route (<c>/chorus.v1.Chorus/Generate</c>) and status.
    /// </summary>
    public static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.RateLimiting", "Microsoft.Orleans", "System.Runtime",
        "System.Net.Http", "System.Net.NameResolution",
    ];

    /// <summary>The activity sources traced: Chorus' spans, and Orleans' grain calls that carry the context across silos.</summary>
    public static readonly string[] TraceSources = [ChorusTelemetry.SourceName, ChorusTelemetry.OrleansApplicationSource];

    public static void Add(WebApplicationBuilder builder, ChorusOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var otlp = options.Telemetry.OtlpEndpoint;
        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithMetrics(m =>
        {
            m.AddMeter(ChorusMetrics.MeterName).AddMeter(PlatformMeters);
            if (options.Cluster.MetricsPort > 0) m.AddPrometheusExporter();
            if (!string.IsNullOrWhiteSpace(otlp)) m.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
        });
        // no spans at all without an exporter: nothing would read them
        if (!string.IsNullOrWhiteSpace(otlp)) telemetry.WithTracing(t => Tracing(t, options.Telemetry).AddOtlpExporter(o => o.Endpoint = new Uri(otlp)));
    }

    /// <summary>What a silo traces and how it samples; an exporter is added by the caller (OTLP here, in-memory in tests).</summary>
    public static TracerProviderBuilder Tracing(TracerProviderBuilder tracing, TelemetryOptions options) =>
        tracing.AddSource(TraceSources).SetSampler(new StepCallSampler(options));
}
