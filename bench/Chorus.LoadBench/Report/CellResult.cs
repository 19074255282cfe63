using Chorus.Bench.Load.Client;
using Chorus.Bench.Load.Metrics;

namespace Chorus.Bench.Load.Report;

/// <summary>
/// One cell's figures: a server under one workload at one load in one round. Throughput is generated tokens (of the
/// requests that succeeded) ÷ the cell's wall time; latencies are over its requests (TTFT, end to end) and over all
/// the gaps between their tokens (inter-token latency), in milliseconds and seconds.
/// </summary>
internal sealed record CellResult(int Round, string Server, string Workload, string Load, int Ok, int Failed, double WallSeconds,
    long Tokens, double TokensPerSecond, double RequestsPerSecond,
    double? TtftP50Ms, double? TtftP99Ms, double? ItlP50Ms, double? ItlP99Ms, double? E2eP50S, double? E2eP99S,
    double? MeanPromptTokens, double? TokensPerChunk, ServerFigures ServerSide, IReadOnlyList<ClassFigures> Classes,
    IReadOnlyList<string> Errors, string LoadAverage)
{
    public static CellResult From(int round, ServerTarget target, string workload, LoadPoint load, IReadOnlyList<RequestResult> requests,
        TimeSpan wall, ServerFigures figures, string loadAverage)
    {
        var ok = requests.Where(r => r.Ok).ToList();
        var tokens = ok.Sum(r => (long)r.Tokens);
        var ttft = ok.Select(r => r.TimeToFirstTokenMs).OfType<double>().ToList();
        var gaps = ok.SelectMany(r => r.GapsMs).Select(g => (double)g).ToList();
        var e2e = ok.Select(r => r.EndToEndSeconds).ToList();
        var prompts = ok.Select(r => r.PromptTokens).OfType<int>().ToList();
        // the servers send one token per content chunk; usage ÷ chunks checks it (1.00) for those that report usage
        var withUsage = ok.Where(r => r.UsageTokens is not null && r.Chunks > 0).ToList();
        var classes = ok.GroupBy(r => r.Class).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ClassFigures(g.Key, g.Count(), Percentiles.Median(g.Select(r => r.TimeToFirstTokenMs).OfType<double>()),
                Percentiles.Of(g.Select(r => r.TimeToFirstTokenMs).OfType<double>(), 99),
                g.Select(r => r.PromptTokens).OfType<int>().DefaultIfEmpty().Average()))
            .ToList();
        var errors = requests.Where(r => !r.Ok).GroupBy(r => r.Error!).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Count()} × {g.Key}").Take(5).ToList();
        var seconds = wall.TotalSeconds;
        return new CellResult(round, target.Name, workload, load.ToString(), ok.Count, requests.Count - ok.Count, seconds, tokens,
            tokens / seconds, ok.Count / seconds,
            Percentiles.Median(ttft), Percentiles.Of(ttft, 99), Percentiles.Median(gaps), Percentiles.Of(gaps, 99),
            Percentiles.Median(e2e), Percentiles.Of(e2e, 99),
            prompts.Count > 0 ? prompts.Average() : null,
            withUsage.Count > 0 ? (double)withUsage.Sum(r => r.UsageTokens!.Value) / withUsage.Sum(r => r.Chunks) : null,
            figures, classes, errors, loadAverage);
    }
}

/// <summary>Requests of one class in a cell ("short", "long", "turn 3"): how many, their TTFT, their prompt size.</summary>
internal sealed record ClassFigures(string Class, int Requests, double? TtftP50Ms, double? TtftP99Ms, double MeanPromptTokens);
