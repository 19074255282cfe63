using Chorus.Bench.Engine;
using Chorus.Grains;
using Chorus.Llama;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Bench.Cluster;

/// <summary>
/// The local fast path's own share of a fused step: one in-process silo whose sessions call their members through the
/// grain and directly, alternately (LocalModels.Enabled), so that both see the same moment's load; each round also
/// measures the members stepping at once without any cluster (the floor).
/// Usage: local-ab [--rounds 5] [--tokens 64] [--members 2] [--threads 1] [--size small] [--out DIR]
/// </summary>
public static class LocalPathBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = ClusterBench.Arg(args, "--rounds", 5);
        var tokens = ClusterBench.Arg(args, "--tokens", 64);
        var members = ClusterBench.Arg(args, "--members", 2);
        var threads = ClusterBench.Arg(args, "--threads", 1);
        var size = ClusterBench.StrArg(args, "--size", "small");
        var dir = ClusterBench.StrArg(args, "--out", Path.Combine(Path.GetTempPath(), "chorus-bench-models"));
        Directory.CreateDirectory(dir);
        LlamaBackend.Initialize();
        var paths = new List<string>();
        for (var i = 0; i < members; i++) paths.Add(await BenchModels.EnsureAsync(size, dir, seedOffset: (ulong)i));
        Console.WriteLine($"# local path A/B  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  members={members}  threads/model={threads}  tokens={tokens}  size={size}");
        Console.WriteLine("| round | load | floor (ms) | through the grain (ms) | direct (ms) | direct ÷ grain | grain ÷ floor | direct ÷ floor |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        await using var silo = await InProcessSilo.StartAsync(paths, threads);
        var local = silo.Services.GetRequiredService<LocalModels>();
        for (var r = 1; r <= rounds; r++)
        {
            var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            var floor = ClusterBench.ConcurrentStepMs(paths, tokens, threads);
            local.Enabled = false;
            var viaGrain = await ClusterBench.FusedStepMs(silo.Client, members, tokens);
            local.Enabled = true;
            var direct = await ClusterBench.FusedStepMs(silo.Client, members, tokens);
            Console.WriteLine($"| {r} | {load} | {floor:F2} | {viaGrain:F2} | {direct:F2} | {direct / viaGrain:F2} | {viaGrain / floor:F2} | {direct / floor:F2} |");
        }
        return 0;
    }
}
