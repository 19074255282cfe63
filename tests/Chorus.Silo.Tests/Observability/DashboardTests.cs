using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Chorus.Grains;

namespace Chorus.Silo.Tests.Observability;

/// <summary>docs/observability.md documents every Chorus instrument, and the Grafana dashboard uses only documented metrics.</summary>
public sealed partial class DashboardTests
{
    private static readonly string Root = FindRoot();
    private static string Docs => File.ReadAllText(Path.Combine(Root, "docs", "observability.md"));

    [Fact]
    public void Every_chorus_instrument_is_documented_under_its_prometheus_and_opentelemetry_names()
    {
        var instruments = new List<Instrument>();
        using var listener = new MeterListener { InstrumentPublished = (i, _) => { if (i.Meter.Name == ChorusMetrics.MeterName) instruments.Add(i); } };
        listener.Start();
        using var metrics = new ChorusMetrics();
        listener.RecordObservableInstruments();

        Assert.True(instruments.Count >= 20, $"only {instruments.Count} instruments seen");
        var docs = Docs;
        foreach (var instrument in instruments)
        {
            Assert.Contains($"`{instrument.Name}`", docs, StringComparison.Ordinal);
            Assert.Contains($"`{PrometheusName(instrument)}`", docs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_dashboard_uses_only_documented_metrics_and_every_request_histogram()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "grafana", "chorus-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        var used = expressions.SelectMany(e => ChorusSeries().Matches(e).Select(m => Suffix().Replace(m.Value, ""))).ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(used);
        foreach (var metric in used) Assert.Contains($"`{metric}`", Docs, StringComparison.Ordinal);
        foreach (var needed in new[] { "chorus_request_time_to_first_token_seconds", "chorus_request_inter_token_latency_seconds", "chorus_request_duration_seconds",
                     "chorus_request_queue_duration_seconds", "chorus_request_prefill_duration_seconds", "chorus_requests_total", "chorus_kv_sequences_used" })
            Assert.Contains(needed, used);
    }

    // OpenTelemetry's Prometheus naming: dots to underscores, the unit "s" as _seconds, counters (monotonic sums, observed or not) end in _total
    private static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        if (instrument.Unit == "s") name += "_seconds";
        if (instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var kind && (kind == typeof(Counter<>) || kind == typeof(ObservableCounter<>)))
            name += "_total";
        return name;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "docs", "observability.md"))) return dir.FullName;
        throw new DirectoryNotFoundException($"docs/observability.md not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"chorus_[a-z_]+")]
    private static partial Regex ChorusSeries();

    [GeneratedRegex(@"_(bucket|count|sum)$")]
    private static partial Regex Suffix();
}
