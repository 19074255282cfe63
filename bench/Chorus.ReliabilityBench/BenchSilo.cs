using System.Diagnostics;
using System.Globalization;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Llama.Forge;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Chorus.Bench.Reliability;

/// <summary>
/// One real <c>chorus-silo</c> process on loopback serving three small llama-spm models with <see cref="Slots"/> KV
/// slots each (<see cref="Members"/>) and <see cref="SmallContextModel"/> with a <see cref="SmallContext"/>-token
/// context; optionally with an API key that every request of <see cref="Client"/> carries.
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    public const int Slots = 8;
    public const int SmallContext = 64;
    public const string SmallContextModel = "tiny";
    public static readonly string[] Members = ["r1", "r2", "r3"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly Process _process;

    private BenchSilo(Process process, string endpoint, string? apiKey)
    {
        _process = process;
        Endpoint = endpoint;
        ApiKey = apiKey;
        Channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 });
        Invoker = apiKey is null ? Channel.CreateCallInvoker() : Channel.Intercept(m =>
        {
            m.Add("authorization", $"Bearer {apiKey}");
            return m;
        });
        Client = new Api.Chorus.ChorusClient(Invoker);
    }

    public string Endpoint { get; }
    public string? ApiKey { get; }
    public GrpcChannel Channel { get; }

    /// <summary>Calls through this carry the API key (when the silo has one).</summary>
    public CallInvoker Invoker { get; }

    public Api.Chorus.ChorusClient Client { get; }

    public int ProcessId => _process.Id;

    public static async Task<BenchSilo> StartAsync(string modelDirectory, string? apiKey)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "chorus-silo.dll");
        if (!File.Exists(executable)) throw new FileNotFoundException($"chorus-silo.dll not found next to the bench in {AppContext.BaseDirectory}; build bench/Chorus.ReliabilityBench");
        var ports = FreePorts.Take(3);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in Arguments(modelDirectory, ports, apiKey).Prepend(executable)) info.ArgumentList.Add(arg);
        info.ArgumentList.Add($"--ParentProcessId={Environment.ProcessId}");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start chorus-silo");
        // CHORUS_BENCH_SILO_LOG=FILE keeps the silo's log (for diagnosing a run); otherwise it is dropped
        var logFile = Environment.GetEnvironmentVariable("CHORUS_BENCH_SILO_LOG") is { Length: > 0 } path ? TextWriter.Synchronized(new StreamWriter(path) { AutoFlush = true }) : null;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) logFile?.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[silo] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var silo = new BenchSilo(process, $"http://127.0.0.1:{ports[0]}", apiKey);
        try
        {
            await silo.WaitUntilServingAsync();
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    private static IEnumerable<string> Arguments(string modelDirectory, int[] ports, string? apiKey)
    {
        yield return "--Chorus:Cluster:Provider=localhost";
        yield return $"--Chorus:Cluster:ClusterId=reliability-{ports[0]}";
        yield return $"--Chorus:Cluster:GrpcPort={ports[0]}";
        yield return $"--Chorus:Cluster:SiloPort={ports[1]}";
        yield return $"--Chorus:Cluster:GatewayPort={ports[2]}";
        if (apiKey is not null) yield return $"--Chorus:Security:ApiKeys:0={apiKey}";
        var models = Members.Select((id, i) => (Id: id, Seed: 61UL + (ulong)i, Context: 512)).Append((Id: SmallContextModel, Seed: 65UL, Context: SmallContext)).ToList();
        for (var i = 0; i < models.Count; i++)
        {
            yield return $"--Chorus:Models:{i}:Id={models[i].Id}";
            yield return $"--Chorus:Models:{i}:Path={ForgeModel(modelDirectory, models[i].Seed)}";
            yield return $"--Chorus:Models:{i}:MaxSequences={Slots}";
            yield return $"--Chorus:Models:{i}:ContextSize={models[i].Context}";
            yield return $"--Chorus:Models:{i}:Threads=1";
        }
        yield return "--Logging:LogLevel:Default=Warning";
    }

    // ~1M-parameter llama-spm models with seeded random weights: the bench measures the serving machinery, not the model
    private static string ForgeModel(string directory, ulong seed)
    {
        Directory.CreateDirectory(directory);
        var spec = new SyntheticModelSpec("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: seed);
        var path = Path.Combine(directory, $"reliability-{seed}.gguf");
        if (!File.Exists(path) || !File.Exists(path + ".spec") || File.ReadAllText(path + ".spec") != spec.ToString())
        {
            SyntheticModelForge.Write(spec, path + ".partial");
            File.Move(path + ".partial", path, overwrite: true);
            File.WriteAllText(path + ".spec", spec.ToString());
        }
        return path;
    }

    private async Task WaitUntilServingAsync()
    {
        var health = new Health.HealthClient(Invoker);
        var exited = _process.WaitForExitAsync();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"chorus-silo exited with code {_process.ExitCode} before serving");
            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving) return;
            }
            catch (RpcException)
            {
                // not listening yet
            }
            await Task.WhenAny(exited, Task.Delay(250));
        }
        throw new TimeoutException($"chorus-silo was not SERVING within {StartTimeout.TotalSeconds:F0} s");
    }

    /// <summary>KV sequences in use over all models, as ListModels reports them.</summary>
    public async Task<int> ActiveSequencesAsync() =>
        (await Client.ListModelsAsync(new ListModelsRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Models.Sum(m => m.ActiveSequences);

    /// <summary>
    /// Active sequences once they reach 0, or when <paramref name="within"/> runs out, and how long that took. Slot
    /// counts have no push signal: ListModels is polled, bounded by <paramref name="within"/>.
    /// </summary>
    /// <remarks>−1: the silo no longer answers (it died).</remarks>
    public async Task<(int Active, double Milliseconds)> ActiveSequencesSettledAsync(TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var active = await ActiveSequencesAsync();
            while (active > 0 && clock.Elapsed < within)
            {
                await Task.Delay(25);
                active = await ActiveSequencesAsync();
            }
            return (active, clock.Elapsed.TotalMilliseconds);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return (-1, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The silo process's resident set (VmRSS in /proc/PID/status), in MiB; NaN where /proc is absent or the process is gone.</summary>
    public double ResidentMegabytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
