using System.Text.Json;

namespace Chorus.Bench.Load.Report;

/// <summary>The run as one JSON document (<c>--json FILE</c>): the header's facts, the settings and every cell.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task WriteAsync(string path, RunHeader header, IReadOnlyList<CellResult> cells)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, new { header, cells }, Options);
    }
}
