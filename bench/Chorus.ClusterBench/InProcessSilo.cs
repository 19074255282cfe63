using Chorus.Grains;
using Chorus.Silo;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace Chorus.Bench.Cluster;

/// <summary>A silo hosted in this process (Orleans + gRPC on loopback), serving the benchmark models as m0, m1, ….</summary>
internal sealed class InProcessSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private InProcessSilo(WebApplication app, GrpcChannel channel)
    {
        _app = app;
        _channel = channel;
        Client = new Api.Chorus.ChorusClient(channel);
    }

    public Api.Chorus.ChorusClient Client { get; }

    /// <summary>The silo's own services (the local-path switch for side-by-side rounds).</summary>
    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessSilo> StartAsync(IReadOnlyList<string> paths, int threads)
    {
        var grpc = FreePorts.Next();
        var app = ChorusSiloHost.Build(["--Logging:LogLevel:Default=Warning"], o =>
        {
            o.Models = paths.Select((p, i) => new ModelOptions { Id = $"m{i}", Path = p, Threads = threads, ThreadPriority = ClusterBench.Priority, ContextSize = 512, MaxSequences = 20, Gpu = ClusterBench.Gpu }).ToList();
            o.Cluster.GrpcPort = grpc;
            o.Cluster.SiloPort = FreePorts.Next();
            o.Cluster.GatewayPort = FreePorts.Next();
        });
        await app.StartAsync();
        return new InProcessSilo(app, ClusterBench.Channel(grpc));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
