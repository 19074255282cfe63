using System.Diagnostics;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>
/// <c>store-faults [--sessions 64] [--hang 30] [--tokens 300] [--kill-after 1]</c>: two Redis-clustered silos (silo 1 serves
/// "a", silo 2 "b", 16 KV slots each) under load. (1) The store hangs (SIGSTOP) for <c>--hang</c> s while the sessions run
/// (half a, half a+b), from the first token of the last a+b session (the last round of sessions is then under way, a+b
/// among them); <c>--kill-after</c> s into the hang silo 2 is SIGKILLed. (2) The store is killed and started again empty (no persistence) while
/// a+b sessions run. After each: every session's ending and when, the slots left held, and whether the cluster serves
/// (a new generation; a silo killed afterwards is declared dead; a restarted or new silo joins).
/// </summary>
internal static class StoreFaultBench
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);
    private static readonly string[] Known = ["a", "b"];

    public static async Task<object> RunAsync(string models, int sessions, int hangSeconds, int tokens, int killAfterSeconds)
    {
        using var store = new RedisStore();
        await store.StartAsync();
        var clusterId = $"faults-{Guid.NewGuid():N}";
        using var silo1 = StoreSilo.Start("silo1", store, clusterId, models, [("a", 81)], Known, slots: 16);
        await silo1.WaitUntilServedAsync(["a"], Converge);
        var silo2 = StoreSilo.Start("silo2", store, clusterId, models, [("b", 82)], Known, slots: 16);
        try
        {
            await silo1.WaitUntilServedAsync(["a", "b"], Converge);
            var hang = await HangWithKillAsync(store, silo1, silo2, sessions, hangSeconds, tokens, killAfterSeconds);
            silo2.Dispose();
            silo2 = StoreSilo.Start("silo2-again", store, clusterId, models, [("b", 82)], Known, slots: 16);
            var rejoin = await silo1.WaitUntilServedAsync(["a", "b"], Converge);
            Console.Error.WriteLine($"silo 2 restarted and was served through silo 1 after {rejoin:F2} s; a+b: {await FaultSession.OutcomeAsync(silo1.Client, ["a", "b"])}");
            var empty = await EmptyRestartAsync(store, silo1, silo2, clusterId, models, sessions, tokens);
            return new { hang, rejoinAfterHangS = rejoin, empty };
        }
        finally
        {
            silo2.Dispose();
        }
    }

    private static async Task<object> HangWithKillAsync(RedisStore store, StoreSilo silo1, StoreSilo silo2, int sessions, int hangSeconds, int tokens, int killAfterSeconds)
    {
        var clock = Stopwatch.StartNew();
        var started = new TaskCompletionSource();
        // sessions alternate a, a+b and queue for a's slots in that order: the last a+b session starts in the last round
        var trigger = Math.Max(1, sessions % 2 == 0 ? sessions - 1 : sessions - 2);
        var runs = Enumerable.Range(0, sessions).Select(i => FaultSession.RunAsync(silo1.Client, i % 2 == 0 ? ["a"] : ["a", "b"], tokens, clock, SessionTimeout, i == trigger ? started : null)).ToList();
        await started.Task;
        store.Hang();
        var hungAt = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(killAfterSeconds));
        silo2.Kill();
        var killedAt = clock.Elapsed.TotalSeconds;
        var hangEnds = Task.Delay(TimeSpan.FromSeconds(Math.Max(0, hangSeconds - killAfterSeconds)));
        var ending = Task.WhenAll(runs);
        // once every session ended, and the store still hangs: what a new a+b request gets, and how fast
        var duringHang = "sessions still running when the store resumed";
        if (await Task.WhenAny(ending, hangEnds) == ending)
        {
            var asked = Stopwatch.StartNew();
            var outcome = await FaultSession.OutcomeAsync(silo1.Client, ["a", "b"]);
            duringHang = $"{outcome} after {asked.Elapsed.TotalSeconds:F2} s";
        }
        await hangEnds;
        store.Resume();
        var resumedAt = clock.Elapsed.TotalSeconds;
        var ended = await ending;
        var declared = await silo1.WaitUntilServedAsync(["a"], Converge);
        var slots = await silo1.ActiveSequencesAsync();
        var after = await FaultSession.OutcomeAsync(silo1.Client, ["a"]);
        Summarise($"store hung {hangSeconds} s, silo 2 SIGKILLed {killedAt - hungAt:F1} s into the hang", ended, killedAt);
        Console.Error.WriteLine($"during the hang, a new a+b: {duringHang}");
        Console.Error.WriteLine($"silo 2 left silo 1's served models {clock.Elapsed.TotalSeconds - resumedAt:F2} s after the store resumed; slots held on silo 1: {slots}; new a: {after}");
        return new
        {
            hangSeconds, killedIntoHangS = killedAt - hungAt, endings = Endings(ended), lastEndAfterKillS = ended.Max(s => s.EndedAtSeconds) - killedAt,
            lastStreamingEndAfterKillS = ended.Where(s => s.StreamedBefore(killedAt)).Select(s => s.EndedAtSeconds - killedAt).DefaultIfEmpty(double.NaN).Max(),
            newFusedDuringHang = duringHang, declaredDeadAfterResumeS = declared, slotsHeld = slots, newGeneration = after,
        };
    }

    private static async Task<object> EmptyRestartAsync(RedisStore store, StoreSilo silo1, StoreSilo silo2, string clusterId, string models, int sessions, int tokens)
    {
        var clock = Stopwatch.StartNew();
        var started = new TaskCompletionSource();
        var runs = Enumerable.Range(0, sessions).Select(i => FaultSession.RunAsync(silo1.Client, ["a", "b"], tokens, clock, SessionTimeout, i == 0 ? started : null)).ToList();
        await started.Task;
        store.Kill();
        await store.StartAsync();
        var restartedAt = clock.Elapsed.TotalSeconds;
        var ended = await Task.WhenAll(runs);
        var slots = await silo1.ActiveSequencesAsync();
        var after = await FaultSession.OutcomeAsync(silo1.Client, ["a", "b"]);
        Summarise("store restarted empty", ended, restartedAt);
        Console.Error.WriteLine($"after the empty restart: slots held {slots}; new a+b: {after}");

        // does membership still work on the empty store? a silo killed now must be declared dead, a new one must join
        silo2.Kill();
        var killed = Stopwatch.StartNew();
        string detection;
        try
        {
            await silo1.WaitUntilServedAsync(["a"], TimeSpan.FromSeconds(60));
            detection = $"{killed.Elapsed.TotalSeconds:F2} s";
        }
        catch (TimeoutException)
        {
            detection = "not within 60 s";
        }
        using var silo3 = StoreSilo.Start("silo3", store, clusterId, models, [("b", 83)], Known, slots: 16);
        string join;
        var joining = Stopwatch.StartNew();
        try
        {
            await silo1.WaitUntilServedAsync(["a", "b"], Converge);
            join = $"{joining.Elapsed.TotalSeconds:F2} s; a+b: {await FaultSession.OutcomeAsync(silo1.Client, ["a", "b"])}";
        }
        catch (TimeoutException)
        {
            join = $"not within {Converge.TotalSeconds:F0} s";
        }
        Console.Error.WriteLine($"after the empty restart: a killed silo left silo 1's view in {detection}; a new silo joined in {join}");
        return new { endings = Endings(ended), lastEndAfterRestartS = ended.Max(s => s.EndedAtSeconds) - restartedAt, slotsHeld = slots, newGeneration = after, killDetected = detection, newSiloJoined = join };
    }

    private static Dictionary<string, int> Endings(FaultSession[] ended) =>
        ended.GroupBy(s => $"{s.Members}: {s.Ending}").ToDictionary(g => g.Key, g => g.Count());

    // Sessions streaming at the fault apart from those still waiting for slots (which end only once admitted, after the queue ahead of them)
    private static void Summarise(string fault, FaultSession[] ended, double faultAt)
    {
        Console.WriteLine($"### {fault}");
        Report.Table(["members", "at the fault", "ending", "sessions", "ended, s after the fault (first / median / last)"],
            ended.GroupBy(s => (s.Members, Streaming: s.StreamedBefore(faultAt), s.Ending)).OrderBy(g => g.Key.Members).ThenByDescending(g => g.Key.Streaming).Select(g =>
            {
                var after = g.Select(s => s.EndedAtSeconds - faultAt).Order().ToList();
                return new[] { g.Key.Members, g.Key.Streaming ? "streaming" : "waiting for slots", g.Key.Ending, g.Count().ToString(), $"{after[0]:F2} / {after[after.Count / 2]:F2} / {after[^1]:F2}" };
            }));
    }
}
