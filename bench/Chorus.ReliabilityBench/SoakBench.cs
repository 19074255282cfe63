using System.Diagnostics;
using Chorus.Api;
using Grpc.Core;

namespace Chorus.Bench.Reliability;

/// <summary>
/// Thousands of 3-member sessions, each ended at a random phase (before its first event, while queued, after Started,
/// after k tokens, by a call deadline or a request deadline, or left to finish): slots and memory before and after.
/// </summary>
internal static class SoakBench
{
    private enum Phase { Finish, BeforeFirstEvent, WhileQueued, AfterStarted, AfterTokens, CallDeadline, RequestDeadline }

    internal sealed record Result(int Sessions, int Concurrency, int Seed, double WallSeconds, int Completed, int Cancelled, int DeadlineExceeded,
        Dictionary<string, int> FailedByStatus, int ActiveSequencesBefore, int ActiveSequencesAfter, double SlotsFreeAfterMs,
        double RssBeforeMb, double RssAfterMb, bool SiloAlive);

    public static async Task<Result> RunAsync(BenchSilo silo, int sessions, int concurrency, int maxTokens, int seed)
    {
        // warm the models (first activations, vocabularies) so that the "before" figures are a serving silo's
        using (var warm = new CancellationTokenSource()) await StreamResult.ReadAsync(silo.Client, StreamResult.Request(BenchSilo.Members, 4), warm);
        var activeBefore = await silo.ActiveSequencesAsync();
        var rssBefore = silo.ResidentMegabytes();
        var random = new Random(seed);
        var plans = Enumerable.Range(0, sessions)
            .Select(_ => (Phase: (Phase)random.Next(Enum.GetValues<Phase>().Length), Tokens: random.Next(1, maxTokens), DelayMs: random.Next(0, 40)))
            .ToList();
        var results = new StreamResult[sessions];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, sessions), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, _) => results[i] = await RunOneAsync(silo, plans[i].Phase, plans[i].Tokens, plans[i].DelayMs, maxTokens));
        var wall = clock.Elapsed.TotalSeconds;

        foreach (var (r, i) in results.Select((r, i) => (r, i)).Where(p => p.r.Status is not (StatusCode.OK or StatusCode.Cancelled or StatusCode.DeadlineExceeded)))
            Console.Error.WriteLine($"session {i} ({plans[i].Phase}): {r.Status}: {r.Detail}");
        var (activeAfter, settleMs) = await silo.ActiveSequencesSettledAsync(TimeSpan.FromSeconds(5));
        var alive = activeAfter >= 0;
        var result = new Result(sessions, concurrency, seed, wall,
            Completed: results.Count(r => r.Status == StatusCode.OK && r.Reason is not null),
            Cancelled: results.Count(r => r.Status == StatusCode.Cancelled),
            DeadlineExceeded: results.Count(r => r.Status == StatusCode.DeadlineExceeded),
            FailedByStatus: results.Where(r => r.Status is not (StatusCode.OK or StatusCode.Cancelled or StatusCode.DeadlineExceeded))
                .GroupBy(r => r.Status.ToString()).ToDictionary(g => g.Key, g => g.Count()),
            activeBefore, activeAfter, settleMs, rssBefore, silo.ResidentMegabytes(), alive);

        Console.WriteLine($"# reliability soak  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  sessions={sessions}  concurrency={concurrency}  members={BenchSilo.Members.Length} × {BenchSilo.Slots} slots  max_tokens={maxTokens}  seed={seed}");
        Console.WriteLine();
        Report.Table(["measure", "value"],
        [
            ["wall (s)", Report.Ms(wall)],
            ["completed (Finished)", $"{result.Completed}"],
            ["cancelled (Cancelled)", $"{result.Cancelled}"],
            ["deadline (DeadlineExceeded)", $"{result.DeadlineExceeded}"],
            ["failed, by status", result.FailedByStatus.Count == 0 ? "none" : string.Join(", ", result.FailedByStatus.Select(p => $"{p.Key} {p.Value}"))],
            ["active sequences before → after", $"{activeBefore} → {activeAfter}{(!alive ? " (silo died)" : activeAfter == 0 ? $" (free {Report.Ms(settleMs)} ms after the last session)" : " (still taken 5 s after the last session)")}"],
            ["silo RSS before → after (MiB)", $"{Report.Mb(rssBefore)} → {Report.Mb(result.RssAfterMb)}"],
        ]);
        return result;
    }

    private static async Task<StreamResult> RunOneAsync(BenchSilo silo, Phase phase, int tokens, int delayMs, int maxTokens)
    {
        var request = StreamResult.Request(BenchSilo.Members, maxTokens);
        using var cancellation = new CancellationTokenSource();
        DateTime? deadline = null;
        var seen = 0;
        Func<GenerateEvent, bool>? cancelWhen = null;
        switch (phase)
        {
            case Phase.BeforeFirstEvent:
                cancellation.CancelAfter(delayMs);
                cancelWhen = _ => true;
                break;
            case Phase.WhileQueued: cancelWhen = e => e.Queued is not null || e.Started is not null; break;
            case Phase.AfterStarted: cancelWhen = e => e.Started is not null; break;
            case Phase.AfterTokens: cancelWhen = e => e.Token is not null && ++seen >= tokens; break;
            case Phase.CallDeadline: deadline = DateTime.UtcNow.AddMilliseconds(1 + delayMs); break;
            case Phase.RequestDeadline: request.Limits.DeadlineMs = 1 + delayMs; break;
        }
        return await StreamResult.ReadAsync(silo.Client, request, cancellation, deadline, cancelWhen);
    }
}
