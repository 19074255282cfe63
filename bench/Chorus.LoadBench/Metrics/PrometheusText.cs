using System.Globalization;

namespace Chorus.Bench.Load.Metrics;

/// <summary>
/// One scrape of a Prometheus text endpoint, each metric summed over its label sets (a Chorus silo labels its model
/// series by model; a pack's three members add up). Histogram buckets (<c>_bucket</c>) are left out: only sums and
/// counts are read.
/// </summary>
internal sealed class PrometheusText
{
    private readonly Dictionary<string, double> _values;

    private PrometheusText(Dictionary<string, double> values) => _values = values;

    public static PrometheusText Empty { get; } = new([]);

    public static PrometheusText Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty || line[0] == '#') continue;
            var nameEnd = line.IndexOfAny('{', ' ');
            if (nameEnd <= 0) continue;
            var name = line[..nameEnd].ToString();
            if (name.EndsWith("_bucket", StringComparison.Ordinal)) continue;
            // the value follows the labels (which may hold spaces inside quotes); an optional timestamp follows it
            var rest = line[nameEnd] == '{' ? line[(line.LastIndexOf('}') + 1)..].Trim() : line[nameEnd..].Trim();
            var space = rest.IndexOf(' ');
            var valueText = space < 0 ? rest : rest[..space];
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value)) continue;
            values[name] = values.GetValueOrDefault(name) + value;
        }
        return new PrometheusText(values);
    }

    public double? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    /// <summary>The first metric whose name starts with <paramref name="prefix"/> and ends with <paramref name="suffix"/>
    /// (OpenTelemetry's exporter may insert a unit between a histogram's name and its <c>_sum</c>).</summary>
    public double? Find(string prefix, string suffix) =>
        _values.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Key.EndsWith(suffix, StringComparison.Ordinal))
            .Select(kv => (double?)kv.Value).FirstOrDefault();
}
