using System.Diagnostics;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>
/// <c>crash [--runs 20] [--batch 5]</c>: Redis-clustered silos: silo 1 serves "a"; each victim silo serves a model of its own
/// (v1, v2, …), started <c>--batch</c> at a time. Each run SIGKILLs one victim, waits until silo 1's view has declared it
/// dead, then times a new request for a + that model through silo 1: the answer (Unavailable, naming the model) should
/// come at once. Before LocalSessionPlacement the new session grain could wait for the dead silo's directory lease.
/// </summary>
internal static class CrashBench
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(180);

    private static async Task<StoreSilo> StartVictimAsync(StoreSilo silo1, RedisStore store, string clusterId, string models, int i, string[] known, string[] served)
    {
        for (var attempt = 1; ; attempt++)
        {
            var victim = StoreSilo.Start($"v{i}", store, clusterId, models, [($"v{i}", 100UL + (ulong)i)], known, slots: 2);
            try
            {
                await silo1.WaitUntilServedAsync(served, Converge, victim);
                return victim;
            }
            catch (Exception e) when (attempt < 3 && e is TimeoutException or InvalidOperationException)
            {
                Console.Error.WriteLine($"v{i} did not join (attempt {attempt}), starting it again: {Report.Shorten(e.Message, 120)}");
                victim.Dispose();
            }
        }
    }

    public static async Task<object> RunAsync(string models, int runs, int batch)
    {
        using var store = new RedisStore();
        await store.StartAsync();
        var clusterId = $"crash-{Guid.NewGuid():N}";
        var known = new[] { "a" }.Concat(Enumerable.Range(1, runs).Select(i => $"v{i}")).ToArray();
        using var silo1 = StoreSilo.Start("silo1", store, clusterId, models, [("a", 81)], known, slots: 4);
        await silo1.WaitUntilServedAsync(["a"], Converge);
        var rows = new List<object>();
        var latencies = new List<double>();
        for (var first = 1; first <= runs; first += batch)
        {
            var ids = Enumerable.Range(first, Math.Min(batch, runs - first + 1)).ToArray();
            // one at a time: on a loaded machine a silo that starts beside others can miss its first probes and be declared dead
            var victims = new List<StoreSilo>();
            try
            {
                var live = new List<string> { "a" };
                foreach (var i in ids)
                {
                    victims.Add(await StartVictimAsync(silo1, store, clusterId, models, i, known, [.. live, $"v{i}"]));
                    live.Add($"v{i}");
                }
                foreach (var (victim, i) in victims.Zip(ids))
                {
                    var model = $"v{i}";
                    // the victim's model has been used: its grain is active and registered on the victim
                    Console.Error.WriteLine($"run {i}: a+{model} before the kill: {await FaultSession.OutcomeAsync(silo1.Client, ["a", model])}");
                    var clock = Stopwatch.StartNew();
                    victim.Kill();
                    live.Remove(model);
                    await silo1.WaitUntilServedAsync([.. live], Converge);
                    var declared = clock.Elapsed.TotalSeconds;
                    var request = Stopwatch.StartNew();
                    var ending = await FaultSession.OutcomeAsync(silo1.Client, ["a", model]);
                    var latency = request.Elapsed.TotalSeconds;
                    latencies.Add(latency);
                    Console.Error.WriteLine($"run {i}: {model}'s silo dead in silo 1's view {declared:F2} s after SIGKILL; a new a+{model} request: {ending} in {latency:F3} s");
                    rows.Add(new { run = i, declaredDeadAfterKillS = declared, newRequest = ending, newRequestS = latency });
                }
            }
            finally
            {
                foreach (var v in victims) v.Dispose();
            }
        }
        Report.Table(["runs", "new request: median ms", "p90 ms", "max ms", "runs over 2 s"],
            [[runs.ToString(), Report.Ms(Report.Percentile(latencies, 50) * 1000), Report.Ms(Report.Percentile(latencies, 90) * 1000), Report.Ms(latencies.Max() * 1000), latencies.Count(l => l > 2).ToString()]]);
        return new { runs = rows, medianS = Report.Percentile(latencies, 50), maxS = latencies.Max(), over2s = latencies.Count(l => l > 2) };
    }
}
