namespace Chorus.Bench.Load.Metrics;

/// <summary>Reads a server's Prometheus endpoint; a server without one (or one that fails) reads as empty.</summary>
internal sealed class MetricsScraper(HttpClient http)
{
    public async Task<PrometheusText> ScrapeAsync(ServerTarget target, CancellationToken cancellationToken)
    {
        if (target.MetricsUrl is null) return PrometheusText.Empty;
        try
        {
            return PrometheusText.Parse(await http.GetStringAsync(target.MetricsUrl, cancellationToken));
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"{target.Name}: metrics at {target.MetricsUrl} unreadable ({e.Message}); its server figures read n/a");
            return PrometheusText.Empty;
        }
    }
}
