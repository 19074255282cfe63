namespace Chorus.Bench.Reliability;

/// <summary>
/// Reliability of one real silo process under hostile and heavy clients, through the public gRPC API only.
/// <code>
/// soak    [--sessions 2000] [--concurrency 24] [--tokens 12] [--seed N]   random cancellation at every phase
/// queue   [--concurrency 32,64] [--tokens 16]                              more sessions than slots: admission queue
/// hostile [--api-key K]                                                    each hostile request once
/// crash   [--runs 20] [--batch 5]                                          new-session latency after a SIGKILL (Redis)
/// store-faults [--sessions 64] [--hang 30] [--tokens 300] [--kill-after 1] store hung + SIGKILL, store restarted empty
/// common: [--json FILE] [--models DIR (forged models, default: temp)]
/// </code>
/// </summary>
internal static class ReliabilityBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchArguments(args);
        var models = arguments.Text("--models") ?? Path.Combine(Path.GetTempPath(), "chorus-reliability-models");
        var json = arguments.Text("--json");
        switch (arguments.Mode)
        {
            case "soak":
            {
                await using var silo = await BenchSilo.StartAsync(models, arguments.Text("--api-key"));
                await Report.WriteJsonAsync(json, await SoakBench.RunAsync(silo, arguments.Int("--sessions", 2000), arguments.Int("--concurrency", 24),
                    arguments.Int("--tokens", 12), arguments.Int("--seed", 20261124)));
                return 0;
            }
            case "queue":
            {
                await using var silo = await BenchSilo.StartAsync(models, arguments.Text("--api-key"));
                await Report.WriteJsonAsync(json, await QueueBench.RunAsync(silo, arguments.Ints("--concurrency", 32, 64), arguments.Int("--tokens", 16)));
                return 0;
            }
            case "hostile":
            {
                var apiKey = arguments.Text("--api-key") ?? "reliability-bench-key";
                await Report.WriteJsonAsync(json, await HostileBench.RunAsync(() => BenchSilo.StartAsync(models, apiKey)));
                return 0;
            }
            case "crash":
                await Report.WriteJsonAsync(json, await Faults.CrashBench.RunAsync(models, arguments.Int("--runs", 20), arguments.Int("--batch", 5)));
                return 0;
            case "store-faults":
                await Report.WriteJsonAsync(json, await Faults.StoreFaultBench.RunAsync(models, arguments.Int("--sessions", 64), arguments.Int("--hang", 30), arguments.Int("--tokens", 300), arguments.Int("--kill-after", 1)));
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: soak [--sessions N] [--concurrency N] | queue [--concurrency 32,64] | hostile [--api-key K] | crash [--runs N] | store-faults [--sessions N] [--hang S] [--tokens N] [--kill-after S]; common: [--json FILE] [--models DIR]");
                return 2;
        }
    }
}
