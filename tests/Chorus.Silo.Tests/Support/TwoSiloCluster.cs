using Chorus.Client.Cluster;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// Two silo processes on loopback, one cluster (development clustering, silo 1 primary). Silo 1 serves "a" and "a2"
/// (llama-spm), silo 2 serves "b" (llama-spm) and "g" (gpt-2). Every cluster gets its own cluster id and ports.
/// </summary>
public sealed class TwoSiloCluster : IAsyncDisposable
{
    public static readonly string[] Silo1Models = ["a", "a2"];
    public static readonly string[] Silo2Models = ["b", "g"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<SiloProcess> _silos = [];
    private readonly string _cacheDirectory = System.IO.Directory.CreateTempSubdirectory("chorus-silo-tests-").FullName;

    internal SiloProcess Silo1 => _silos[0];
    internal SiloProcess Silo2 => _silos[1];

    /// <summary>A client of silo 1's gRPC endpoint (the one the tests talk to).</summary>
    public ChorusApiClient Client { get; private set; } = null!;

    public static async Task<TwoSiloCluster> StartAsync(int contextSize = 1024)
    {
        var models = new Dictionary<string, string>
        {
            ["a"] = TestModels.Spm(31), ["a2"] = TestModels.Spm(32), ["b"] = TestModels.Spm(33), ["g"] = TestModels.Gpt2(34),
        };
        var cluster = new TwoSiloCluster();
        try
        {
            var ports = FreePorts.Take(6);
            var clusterId = $"silo-tests-{Guid.NewGuid():N}";
            cluster._silos.Add(SiloProcess.Start("silo1", ports[0], ports[2],
                cluster.Arguments(clusterId, ports[0], ports[1], ports[2], primary: null, Silo1Models, models, contextSize)));
            await cluster.Silo1.WaitUntilServingAsync(StartTimeout);
            cluster._silos.Add(SiloProcess.Start("silo2", ports[3], ports[5],
                cluster.Arguments(clusterId, ports[3], ports[4], ports[5], primary: ports[0], Silo2Models, models, contextSize)));
            await cluster.Silo2.WaitUntilServingAsync(StartTimeout);
            cluster.Client = ChorusApiClient.ForAddress(cluster.Silo1.Endpoint);
            await cluster.WaitUntilSilo1SeesAsync(Silo2Models, StartTimeout);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Silo logs, for failure messages.</summary>
    public string Logs => string.Join('\n', _silos.Select(s => s.Log));

    private IEnumerable<string> Arguments(string clusterId, int siloPort, int gatewayPort, int grpcPort, int? primary,
        string[] served, Dictionary<string, string> paths, int contextSize)
    {
        yield return "--Chorus:Cluster:Provider=development";
        yield return $"--Chorus:Cluster:ClusterId={clusterId}";
        foreach (var arg in SiloArguments.Ports(siloPort, gatewayPort, grpcPort)) yield return arg;
        foreach (var arg in SiloArguments.FastFailureDetection()) yield return arg;
        if (primary is { } p) yield return $"--Chorus:Cluster:PrimarySilo=127.0.0.1:{p}";
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        for (var i = 0; i < served.Length; i++)
        {
            foreach (var arg in SiloArguments.Model(i, served[i], paths[served[i]], contextSize)) yield return arg;
        }
        // every model of the cluster is known everywhere: one whose silo is gone is Unavailable, not NotFound
        var known = 0;
        foreach (var id in paths.Keys) yield return $"--Chorus:KnownModels:{known++}={id}";
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Information";
    }

    // Silo 2 is Active in the membership table before silo 1's view of its metadata catches up.
    private async Task WaitUntilSilo1SeesAsync(string[] models, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var served = (await Client.ListModelsAsync(deadline.Token)).Select(m => m.Id).ToHashSet();
            if (models.All(served.Contains)) return;
            await Task.Delay(200, deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        // silos go down in parallel, each bounded; a kill never waits on a graceful shutdown
        await Task.WhenAll(_silos.Select(s => Task.Run(s.Dispose)));
        TempFolders.Delete(_cacheDirectory);
    }
}

/// <summary>One cluster shared by the tests that leave it intact.</summary>
public sealed class TwoSiloFixture : IAsyncLifetime
{
    public TwoSiloCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TwoSiloCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TwoSiloCollection : ICollectionFixture<TwoSiloFixture>
{
    public const string Name = "two silo processes";
}
