using System.Diagnostics;
using Chorus.Api;
using Grpc.Core;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>
/// <c>crash [--runs 20]</c>: two Redis-clustered silos, silo 1 serving "a", silo 2 serving "b". Each run SIGKILLs silo 2
/// under a fused a+b generation, waits until silo 1's view has declared it dead, then times a new request for a+b
/// (Unavailable, naming 'b'); then silo 2 starts again for the next run. The new request's latency is the figure: before
/// LocalSessionPlacement a new session grain could wait for the dead silo's directory lease.
/// </summary>
internal static class CrashBench
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    public static async Task<object> RunAsync(string models, int runs)
    {
        using var store = new RedisStore();
        await store.StartAsync();
        var clusterId = $"crash-{Guid.NewGuid():N}";
        string[] known = ["a", "b"];
        using var silo1 = StoreSilo.Start("silo1", store, clusterId, models, [("a", 81)], known, slots: 4);
        await silo1.WaitUntilServedAsync(["a"], Converge);
        var rows = new List<object>();
        var latencies = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            using var silo2 = StoreSilo.Start("silo2", store, clusterId, models, [("b", 82)], known, slots: 4);
            await silo1.WaitUntilServedAsync(["a", "b"], Converge);
            var clock = Stopwatch.StartNew();
            var started = new TaskCompletionSource();
            var inFlight = FaultSession.RunAsync(silo1.Client, ["a", "b"], 2000, clock, TimeSpan.FromSeconds(90), started);
            await started.Task;
            silo2.Kill();
            var killedAt = clock.Elapsed.TotalSeconds;
            var cut = await inFlight;
            await silo1.WaitUntilServedAsync(["a"], Converge);
            var declared = clock.Elapsed.TotalSeconds - killedAt;
            var request = Stopwatch.StartNew();
            string ending;
            try
            {
                await foreach (var _ in silo1.Client.GenerateAsync(FaultSession.Request(["a", "b"], 4))) { }
                ending = "succeeded";
            }
            catch (RpcException e)
            {
                ending = $"{e.StatusCode}: {Report.Shorten(e.Status.Detail, 60)}";
            }
            var latency = request.Elapsed.TotalSeconds;
            latencies.Add(latency);
            Console.Error.WriteLine($"run {run}: in-flight {cut.Ending} {cut.EndedAtSeconds - killedAt:F2} s after the kill; dead in silo 1's view {declared:F2} s after it; new a+b request {ending} in {latency:F3} s");
            rows.Add(new { run, inFlightEnding = cut.Ending, inFlightEndedAfterKillS = cut.EndedAtSeconds - killedAt, declaredDeadAfterKillS = declared, newRequest = ending, newRequestS = latency });
        }
        Report.Table(["runs", "new request: median s", "p90 s", "max s", "over 2 s"],
            [[runs.ToString(), Report.Ms(Report.Percentile(latencies, 50) * 1000), Report.Ms(Report.Percentile(latencies, 90) * 1000), Report.Ms(latencies.Max() * 1000), latencies.Count(l => l > 2).ToString()]]);
        Console.WriteLine("(times in ms)");
        return new { runs = rows, medianS = Report.Percentile(latencies, 50), maxS = latencies.Max(), over2s = latencies.Count(l => l > 2) };
    }
}
