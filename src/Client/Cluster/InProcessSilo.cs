using Chorus.Grains;
using Chorus.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Chorus.Client.Cluster;

/// <summary>
/// A one-process cluster inside the tool: a silo (localhost clustering on free loopback ports) with its gRPC API,
/// serving the given models. Clients reach it over loopback gRPC like any other cluster.
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private readonly WebApplication _app;
    private bool _started;

    private InProcessSilo(WebApplication app, int grpcPort)
    {
        _app = app;
        Endpoint = $"http://127.0.0.1:{grpcPort}";
    }

    /// <summary>The loopback gRPC endpoint of the silo.</summary>
    public string Endpoint { get; }

    /// <summary>Builds and starts a silo; <paramref name="configure"/> sets models and packs (ports are chosen here).</summary>
    public static async Task<InProcessSilo> StartAsync(Action<ChorusOptions> configure, bool verbose, CancellationToken cancellationToken)
    {
        var ports = FreePorts.Take(3);
        var app = ChorusSiloHost.Build([], o =>
        {
            configure(o);
            o.Cluster.Provider = "localhost";
            o.Cluster.GrpcPort = ports[0];
            o.Cluster.SiloPort = ports[1];
            o.Cluster.GatewayPort = ports[2];
            o.Cluster.MetricsPort = 0;
            o.Cluster.ListenOnAnyAddress = false;
            o.Security = new SecurityOptions(); // loopback only and used by this process alone: no keys, no TLS
            // every in-process run is its own cluster: never join another tool's silo on this machine
            o.Cluster.ClusterId = $"chorus-cli-{Environment.ProcessId}-{ports[0]}";
        }, builder => QuietHost(builder, verbose));
        var silo = new InProcessSilo(app, ports[0]);
        try
        {
            await app.StartAsync(cancellationToken);
            silo._started = true;
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    // The tool's stdout is for results: the silo logs only warnings (everything with --verbose), and to stderr.
    // Console-provider rules outrank the configuration's provider-less ones (appsettings.json's "Default": "Information").
    private static void QuietHost(WebApplicationBuilder builder, bool verbose)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter<ConsoleLoggerProvider>(null, verbose ? LogLevel.Information : LogLevel.Warning);
        if (!verbose)
        {
            foreach (var noisy in new[] { "Orleans", "Microsoft", "Polly", "llama.cpp" })
                builder.Logging.AddFilter<ConsoleLoggerProvider>(noisy, LogLevel.Error);
        }
        builder.Services.AddSingleton<IHostLifetime, ToolHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = StopTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // stopping gracefully took too long; disposing below tears the rest down
            }
        }
        await _app.DisposeAsync();
    }
}
