using Chorus.Client.Cluster;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// Three silo processes that find each other through a real membership store (Redis or PostgreSQL), each serving
/// different models: silo 1 "a" and "r", silo 2 "b" and "r" (r has a replica on two silos), silo 3 "c". A silo can
/// be stopped gracefully, killed, and started again (a new process on new ports, as a rescheduled pod).
/// </summary>
public sealed class StoreCluster : IAsyncDisposable
{
    public static readonly string[][] Served = [["a", "r"], ["b", "r"], ["c"]];
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly SiloProcess?[] _silos = new SiloProcess?[3];
    private readonly List<SiloProcess> _stopped = [];
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-store-cluster-").FullName;
    private readonly string _provider;
    private readonly string _connectionString;
    private readonly string _clusterId = $"store-{Guid.NewGuid():N}";
    private readonly int _drainSeconds;
    private readonly Dictionary<string, string> _models = new()
    {
        ["a"] = TestModels.Spm(31), ["b"] = TestModels.Spm(33), ["c"] = TestModels.Spm(35), ["r"] = TestModels.Spm(36),
    };

    private StoreCluster(string provider, string connectionString, int drainSeconds)
    {
        _provider = provider;
        _connectionString = connectionString;
        _drainSeconds = drainSeconds;
    }

    /// <summary>A client of silo 1's gRPC endpoint (silo 1 stays up in the tests).</summary>
    public ChorusApiClient Client { get; private set; } = null!;

    internal SiloProcess Silo(int index) => _silos[index] ?? throw new InvalidOperationException($"silo {index + 1} is not running");

    public string Logs => string.Join('\n', _stopped.Concat(_silos.OfType<SiloProcess>()).Select(s => s.Log));

    public static async Task<StoreCluster> StartAsync(string provider, string connectionString, int drainSeconds)
    {
        var cluster = new StoreCluster(provider, connectionString, drainSeconds);
        try
        {
            for (var i = 0; i < 3; i++) cluster.Launch(i);
            await Task.WhenAll(cluster._silos.Select(s => s!.WaitUntilServingAsync(StartTimeout)));
            cluster.Client = ChorusApiClient.ForAddress(cluster.Silo(0).Endpoint);
            await cluster.WaitUntilServedAsync(["a", "b", "c", "r"], StartTimeout);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts silo <paramref name="index"/> again (after it stopped) and waits until it serves.</summary>
    internal async Task RestartAsync(int index)
    {
        if (_silos[index] is { } old) _stopped.Add(old);
        Launch(index);
        await Silo(index).WaitUntilServingAsync(StartTimeout);
    }

    /// <summary>Waits until silo 1's view of the cluster serves exactly <paramref name="models"/> (membership converged).</summary>
    public async Task WaitUntilServedAsync(string[] models, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var want = models.Order(StringComparer.Ordinal).ToArray();
        string[] served = [];
        try
        {
            while (true)
            {
                served = [.. (await Client.ListModelsAsync(deadline.Token)).Select(m => m.Id).Order(StringComparer.Ordinal)];
                if (served.SequenceEqual(want)) return;
                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the cluster did not converge on [{string.Join(", ", want)}] within {timeout.TotalSeconds:F0} s (serves [{string.Join(", ", served)}])\n{Logs}");
        }
    }

    private void Launch(int index)
    {
        var ports = FreePorts.Take(3);
        _silos[index] = SiloProcess.Start($"silo{index + 1}", ports[0], ports[2], Arguments(index, ports));
    }

    private IEnumerable<string> Arguments(int index, int[] ports)
    {
        yield return $"--Chorus:Cluster:Provider={_provider}";
        yield return $"--Chorus:Cluster:ConnectionString={_connectionString}";
        yield return $"--Chorus:Cluster:ClusterId={_clusterId}";
        foreach (var arg in SiloArguments.Ports(ports[0], ports[1], ports[2])) yield return arg;
        foreach (var arg in SiloArguments.FastFailureDetection()) yield return arg;
        yield return $"--Chorus:Sessions:DrainSeconds={_drainSeconds}";
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        // idle replicas misplaced by the churn move within seconds (default 15 s)
        yield return "--Chorus:Sessions:IdleSweepInterval=00:00:02";
        var served = Served[index];
        for (var i = 0; i < served.Length; i++)
            foreach (var arg in SiloArguments.Model(i, served[i], _models[served[i]], contextSize: 2048)) yield return arg;
        var known = 0;
        foreach (var id in _models.Keys) yield return $"--Chorus:KnownModels:{known++}={id}";
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Information";
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await Task.WhenAll(_silos.OfType<SiloProcess>().Concat(_stopped).Select(s => Task.Run(s.Dispose)));
        TempFolders.Delete(_cacheDirectory);
    }
}
