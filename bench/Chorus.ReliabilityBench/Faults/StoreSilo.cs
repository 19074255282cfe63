using System.Collections.Concurrent;
using System.Diagnostics;
using Chorus.Client.Cluster;
using Chorus.Llama.Forge;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>
/// One <c>chorus-silo</c> process clustered through Redis, serving the given models (one thread each), with the fast failure
/// detection the tests use (a probe every 2 s, 2 missed, 1 vote; production keeps Orleans' defaults).
/// </summary>
internal sealed class StoreSilo : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private StoreSilo(string name, Process process, int grpcPort)
    {
        Name = name;
        _process = process;
        Client = ChorusApiClient.ForAddress($"http://127.0.0.1:{grpcPort}");
    }

    public string Name { get; }
    public ChorusApiClient Client { get; }
    public bool HasExited => _process.HasExited;
    public string Log => string.Join('\n', _log.TakeLast(40));

    public static StoreSilo Start(string name, RedisStore store, string clusterId, string modelDirectory, (string Id, ulong Seed)[] served, string[] known, int slots)
    {
        var ports = FreePorts.Take(3);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // CHORUS_BENCH_SILO_DIR: another build's chorus-silo.dll (e.g. the one before a change, for a side-by-side figure)
        var directory = Environment.GetEnvironmentVariable("CHORUS_BENCH_SILO_DIR") is { Length: > 0 } other ? other : AppContext.BaseDirectory;
        info.ArgumentList.Add(Path.Combine(directory, "chorus-silo.dll"));
        string[] args =
        [
            "--Chorus:Cluster:Provider=redis", $"--Chorus:Cluster:ConnectionString={store.ConnectionString}", $"--Chorus:Cluster:ClusterId={clusterId}",
            $"--Chorus:Cluster:SiloPort={ports[0]}", $"--Chorus:Cluster:GatewayPort={ports[1]}", $"--Chorus:Cluster:GrpcPort={ports[2]}",
            "--Chorus:Cluster:Membership:ProbeTimeout=00:00:02", "--Chorus:Cluster:Membership:NumMissedProbesLimit=2",
            "--Chorus:Cluster:Membership:NumVotesForDeathDeclaration=1", "--Chorus:Cluster:Membership:TableRefreshTimeout=00:00:02",
            "--Chorus:Cluster:Membership:IAmAliveTablePublishTimeout=00:00:10", "--Chorus:Sessions:DrainSeconds=3",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information", $"--ParentProcessId={Environment.ProcessId}",
        ];
        foreach (var a in args) info.ArgumentList.Add(a);
        for (var i = 0; i < served.Length; i++)
        {
            info.ArgumentList.Add($"--Chorus:Models:{i}:Id={served[i].Id}");
            info.ArgumentList.Add($"--Chorus:Models:{i}:Path={Forge(modelDirectory, served[i].Seed)}");
            info.ArgumentList.Add($"--Chorus:Models:{i}:ContextSize=1024");
            info.ArgumentList.Add($"--Chorus:Models:{i}:MaxSequences={slots}");
            info.ArgumentList.Add($"--Chorus:Models:{i}:Threads=1");
        }
        for (var i = 0; i < known.Length; i++) info.ArgumentList.Add($"--Chorus:KnownModels:{i}={known[i]}");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start chorus-silo");
        var silo = new StoreSilo(name, process, ports[2]);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        _log.Enqueue($"[{Name}] {line}");
        while (_log.Count > 200) _log.TryDequeue(out _);
    }

    /// <summary>Waits until this silo's view serves exactly <paramref name="models"/> (membership converged).</summary>
    /// <remarks>Fails at once when <paramref name="joining"/> (a silo expected to join) exits.</remarks>
    public async Task<double> WaitUntilServedAsync(string[] models, TimeSpan timeout, StoreSilo? joining = null)
    {
        var clock = Stopwatch.StartNew();
        var want = models.Order(StringComparer.Ordinal).ToArray();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Log}");
            if (joining is { HasExited: true }) throw new InvalidOperationException($"{joining.Name} exited before it joined:\n{joining.Log}");
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var served = (await Client.ListModelsAsync(probe.Token)).Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
                if (served.SequenceEqual(want)) return clock.Elapsed.TotalSeconds;
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException)
            {
                // not listening yet, or busy
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not serve exactly [{string.Join(", ", want)}] within {timeout.TotalSeconds:F0} s:\n{Log}");
    }

    /// <summary>KV sequences held on the silos this one sees (ListModels' replicas).</summary>
    public async Task<int> ActiveSequencesAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return (await Client.ListModelsReplyAsync(timeout.Token)).Replicas.Sum(r => r.ActiveSequences);
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Client.Dispose();
        Kill();
        _process.Dispose();
    }

    private static string Forge(string directory, ulong seed)
    {
        Directory.CreateDirectory(directory);
        var spec = new SyntheticModelSpec("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: seed);
        var path = Path.Combine(directory, $"fault-{seed}.gguf");
        if (!File.Exists(path) || !File.Exists(path + ".spec") || File.ReadAllText(path + ".spec") != spec.ToString())
        {
            SyntheticModelForge.Write(spec, path + ".partial");
            File.Move(path + ".partial", path, overwrite: true);
            File.WriteAllText(path + ".spec", spec.ToString());
        }
        return path;
    }
}
