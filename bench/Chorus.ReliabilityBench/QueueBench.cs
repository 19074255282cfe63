using System.Diagnostics;
using Grpc.Core;

namespace Chorus.Bench.Reliability;

/// <summary>N concurrent 3-member generations on 8-slot models: how many finish, time to first token, throughput, who queued.</summary>
internal static class QueueBench
{
    internal sealed record Row(int Concurrency, int Completed, Dictionary<string, int> FailedByStatus, int SawQueued,
        double FirstTokenP50Ms, double FirstTokenP95Ms, int Tokens, double WallSeconds, double TokensPerSecond, int ActiveSequencesAfter);

    public static async Task<List<Row>> RunAsync(BenchSilo silo, int[] concurrencies, int maxTokens)
    {
        using (var warm = new CancellationTokenSource()) await StreamResult.ReadAsync(silo.Client, StreamResult.Request(BenchSilo.Members, 4), warm);
        var rows = new List<Row>();
        foreach (var n in concurrencies)
        {
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, n).Select(async _ =>
            {
                using var cancellation = new CancellationTokenSource();
                return await StreamResult.ReadAsync(silo.Client, StreamResult.Request(BenchSilo.Members, maxTokens), cancellation);
            }));
            var wall = clock.Elapsed.TotalSeconds;
            var firstTokens = results.Where(r => r.FirstTokenMs is not null).Select(r => r.FirstTokenMs!.Value).ToList();
            var tokens = results.Sum(r => r.Tokens);
            var (active, _) = await silo.ActiveSequencesSettledAsync(TimeSpan.FromSeconds(5));
            rows.Add(new Row(n, results.Count(r => r.Status == StatusCode.OK && r.Reason is not null),
                results.Where(r => r.Status != StatusCode.OK).GroupBy(r => r.Status.ToString()).ToDictionary(g => g.Key, g => g.Count()),
                results.Count(r => r.SawQueued), Report.Percentile(firstTokens, 50), Report.Percentile(firstTokens, 95), tokens, wall, tokens / wall, active));
            if (active < 0) break; // the silo died
        }

        Console.WriteLine($"# reliability queue  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  members={BenchSilo.Members.Length} × {BenchSilo.Slots} slots  max_tokens={maxTokens}");
        Console.WriteLine();
        Report.Table(["concurrent sessions", "completed", "failed, by status", "saw Queued", "first token p50 (ms, sessions that got one)", "p95 (ms)", "tokens", "wall (s)", "aggregate tokens/s", "active sequences after"],
            rows.Select(r => new[]
            {
                $"{r.Concurrency}", $"{r.Completed}", r.FailedByStatus.Count == 0 ? "none" : string.Join(", ", r.FailedByStatus.Select(p => $"{p.Key} {p.Value}")),
                $"{r.SawQueued}", Report.Ms(r.FirstTokenP50Ms), Report.Ms(r.FirstTokenP95Ms), $"{r.Tokens}", Report.Ms(r.WallSeconds), Report.Ms(r.TokensPerSecond), $"{r.ActiveSequencesAfter}",
            }));
        return rows;
    }
}
