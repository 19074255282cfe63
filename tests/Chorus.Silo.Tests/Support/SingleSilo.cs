using Chorus.Client.Cluster;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// One silo process serving "a" (used by every test) and "untouched" (named only by requests that must be rejected before
/// any model sees them: its grain never activates). Client errors of the gRPC layer are logged at Information.
/// </summary>
public sealed class SingleSiloFixture : IAsyncLifetime
{
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-single-silo-").FullName;

    internal SiloProcess Silo { get; private set; } = null!;

    public ChorusApiClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(3);
        Silo = SiloProcess.Start("silo", ports[0], ports[2], Arguments(ports));
        await Silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        Client = ChorusApiClient.ForAddress(Silo.Endpoint);
    }

    private IEnumerable<string> Arguments(int[] ports)
    {
        yield return "--Chorus:Cluster:Provider=development";
        yield return $"--Chorus:Cluster:ClusterId=single-silo-{Guid.NewGuid():N}";
        foreach (var arg in SiloArguments.Ports(ports[0], ports[1], ports[2])) yield return arg;
        yield return $"--Chorus:CacheDirectory={_cacheDirectory}";
        var models = new[] { ("a", TestModels.Spm(31)), ("untouched", TestModels.Spm(32)) };
        for (var i = 0; i < models.Length; i++)
            foreach (var arg in SiloArguments.Model(i, models[i].Item1, models[i].Item2, contextSize: 512)) yield return arg;
        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:Chorus=Information";
        yield return "--Logging:LogLevel:Grpc=Information";
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Silo?.Dispose();
        TempFolders.Delete(_cacheDirectory);
        return Task.CompletedTask;
    }
}
