using System.Globalization;
using System.Text.Json;

namespace Chorus.Bench.Reliability;

/// <summary>A markdown table on stdout and, with <c>--json FILE</c>, the same figures as JSON.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN: not measured
    };

    public static void Table(string[] header, IEnumerable<string[]> rows)
    {
        Console.WriteLine($"| {string.Join(" | ", header)} |");
        Console.WriteLine($"|{string.Concat(header.Select(_ => "---|"))}");
        foreach (var row in rows) Console.WriteLine($"| {string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal)))} |");
        Console.WriteLine();
    }

    public static async Task WriteJsonAsync<T>(string? path, T value)
    {
        if (path is null) return;
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(value, Json));
        Console.Error.WriteLine($"wrote {path}");
    }

    public static string Ms(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    public static string Mb(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>Nearest-rank percentile of <paramref name="values"/> (NaN when empty).</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string Shorten(string text, int length = 90) =>
        text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");
}
