using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests.Observability;

/// <summary>
/// One silo process with every observability surface on: the HTTP API, the metrics port, JSON console logs with UTC
/// timestamps (the standard <c>Logging:Console</c> keys) and Chorus' debug lines. It serves "a" and "b" (llama-spm) and the
/// pack "pair" (uniform over both).
/// </summary>
public sealed class ObservedSiloFixture : IAsyncLifetime
{
    public const string Pack = "pair";
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-observed-").FullName;

    internal SiloProcess Silo { get; private set; } = null!;
    public ChorusApiClient Client { get; private set; } = null!;
    public Uri HttpEndpoint { get; private set; } = null!;
    public Uri MetricsEndpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(5);
        HttpEndpoint = new Uri($"http://127.0.0.1:{ports[3]}");
        MetricsEndpoint = new Uri($"http://127.0.0.1:{ports[4]}");
        Silo = SiloProcess.Start("observed", ports[0], ports[2], Arguments(ports));
        await Silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        Client = ChorusApiClient.ForAddress(Silo.Endpoint);
    }

    private IEnumerable<string> Arguments(int[] ports)
    {
        yield return "--Chorus:Cluster:Provider=localhost";
        yield return $"--Chorus:Cluster:ClusterId=observed-{Guid.NewGuid():N}";
        foreach (var arg in SiloArguments.Ports(ports[0], ports[1], ports[2])) yield return arg;
        yield return $"--Chorus:Cluster:HttpPort={ports[3]}";
        yield return $"--Chorus:Cluster:MetricsPort={ports[4]}";
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        foreach (var arg in SiloArguments.Model(0, "a", TestModels.Spm(31), contextSize: 512)) yield return arg;
        foreach (var arg in SiloArguments.Model(1, "b", TestModels.Spm(33), contextSize: 512)) yield return arg;
        yield return $"--Chorus:Packs:0:Name={Pack}";
        yield return "--Chorus:Packs:0:Method=uniform";
        yield return "--Chorus:Packs:0:Members:0:Model=a";
        yield return "--Chorus:Packs:0:Members:1:Model=b";
        yield return "--Logging:Console:FormatterName=json";
        yield return "--Logging:Console:FormatterOptions:UseUtcTimestamp=true";
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Debug";
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Silo?.Dispose();
        TempFolders.Delete(_cacheDirectory);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ObservedSiloCollection : ICollectionFixture<ObservedSiloFixture>
{
    public const string Name = "observed silo";
}
