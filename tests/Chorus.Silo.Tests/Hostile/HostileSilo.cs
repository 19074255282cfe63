using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>
/// One real <c>chorus-silo</c> process for the hostile-client tests: three small llama-spm models with
/// <see cref="Slots"/> KV slots each (<see cref="EightSlotModels"/>) and one with a <see cref="SmallContext"/>-token
/// context (<see cref="SmallContextModel"/>). Tests talk to it only through the public gRPC API.
/// </summary>
public sealed class HostileSiloFixture : IAsyncLifetime
{
    public const int Slots = 8;
    /// <summary>The configured context of <see cref="SmallContextModel"/>; llama.cpp may round it up, ListModels says what it is.</summary>
    public const int SmallContext = 64;
    public const string SmallContextModel = "tiny";
    public static readonly string[] EightSlotModels = ["h1", "h2", "h3"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-hostile-tests-").FullName;
    private SiloProcess? _silo;

    internal SiloProcess Silo => _silo ?? throw new InvalidOperationException("the hostile silo has not started");

    /// <summary>For failure messages: the silo's last log lines if it has died, else nothing.</summary>
    public string DeathNote => _silo is { HasExited: true } ? $"\nthe silo process died:\n{_silo.Log}" : "";

    /// <summary>A client of the silo's gRPC endpoint.</summary>
    public ChorusApiClient Client { get; private set; } = null!;

    public Task InitializeAsync() => StartAsync();

    /// <summary>
    /// Starts a fresh silo when an earlier test crashed this one or left KV slots taken (that test has failed, with
    /// the reason), so that each test's verdict is its own rather than "connection refused" or someone else's leak.
    /// </summary>
    public async Task EnsureCleanAsync()
    {
        if (!Silo.HasExited && await AllSlotsFreeAsync()) return;
        Client.Dispose();
        Silo.Dispose();
        await StartAsync();
    }

    private async Task<bool> AllSlotsFreeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return (await Client.ListModelsAsync(timeout.Token)).Sum(m => m.ActiveSequences) == 0;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    private async Task StartAsync()
    {
        var ports = FreePorts.Take(3);
        _silo = SiloProcess.Start("hostile", ports[0], ports[2], Arguments(ports[0], ports[1], ports[2]));
        await _silo.WaitUntilServingAsync(StartTimeout);
        Client = ChorusApiClient.ForAddress(_silo.Endpoint);
    }

    private IEnumerable<string> Arguments(int siloPort, int gatewayPort, int grpcPort)
    {
        yield return "--Chorus:Cluster:Provider=localhost";
        yield return $"--Chorus:Cluster:ClusterId=hostile-tests-{Guid.NewGuid():N}";
        foreach (var arg in SiloArguments.Ports(siloPort, gatewayPort, grpcPort)) yield return arg;
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        var models = EightSlotModels.Select((id, i) => (Id: id, Path: TestModels.Spm(41 + (ulong)i), Context: 512))
            .Append((Id: SmallContextModel, Path: TestModels.Spm(45), Context: SmallContext)).ToList();
        for (var i = 0; i < models.Count; i++)
            foreach (var arg in SiloArguments.Model(i, models[i].Id, models[i].Path, models[i].Context, Slots)) yield return arg;
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Warning";
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        _silo?.Dispose();
        TempFolders.Delete(_cacheDirectory);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class HostileSiloCollection : ICollectionFixture<HostileSiloFixture>
{
    public const string Name = "hostile clients against one silo process";
}
