using System.Diagnostics;
using System.Globalization;
using Chorus.Client.Cluster;
using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Chorus.Client.Serve;

/// <summary>
/// The silo <c>chorus serve</c> runs in the foreground: started from a <see cref="ServePlan"/>, its models loaded one by
/// one with a line each, its endpoints printed, stopped (drained) when the command is cancelled (Ctrl-C).
/// </summary>
internal sealed class ServedSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TextWriter _output;
    private bool _started;

    private ServedSilo(WebApplication app, TextWriter output)
    {
        _app = app;
        _output = output;
    }

    private ChorusOptions Options => _app.Services.GetRequiredService<IOptions<ChorusOptions>>().Value;

    public static async Task<ServedSilo> StartAsync(ServePlan plan, bool verbose, TextWriter output, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = ChorusSiloHost.Build(plan.HostArguments(), plan.Apply, builder => Logging(builder, verbose));
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, e); // a configuration problem: the message lists what to change
        }
        var silo = new ServedSilo(app, output);
        try
        {
            var o = silo.Options;
            await output.WriteLineAsync($"starting a silo with {o.Models.Count} model(s) and {o.Packs.Count} pack(s)…");
            await app.StartAsync(ct);
            silo._started = true;
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>Activates every model grain in turn (its replica 0 loads the weights), a progress line each.</summary>
    public async Task LoadModelsAsync(CancellationToken ct)
    {
        var grains = _app.Services.GetRequiredService<IGrainFactory>();
        var models = Options.Models;
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            var clock = Stopwatch.StartNew();
            await _output.WriteLineAsync($"[{i + 1}/{models.Count}] loading {m.Id} from {m.Path}…");
            var facts = await grains.GetGrain<IModelGrain>(m.Id).Describe().WaitAsync(ct);
            await _output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"[{i + 1}/{models.Count}] {m.Id}: {facts.Parameters / 1e6:F1}M parameters, {facts.VocabularyKind} vocabulary of {facts.VocabularySize} tokens, context {facts.ContextSize}, {facts.MaxSequences} sequences, on {facts.Device} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
    }

    public async Task PrintEndpointsAsync()
    {
        var o = Options;
        var scheme = string.IsNullOrWhiteSpace(o.Security.CertificatePath) ? "http" : "https";
        var host = o.Cluster.ListenOnAnyAddress ? "0.0.0.0" : "127.0.0.1";
        await _output.WriteLineAsync("ready:");
        if (o.Cluster.GrpcPort > 0) await _output.WriteLineAsync($"  gRPC        {scheme}://{host}:{o.Cluster.GrpcPort}  (protos/chorus.proto; chorus generate --endpoint …)");
        if (o.Cluster.HttpPort > 0) await _output.WriteLineAsync($"  OpenAI API  {scheme}://{host}:{o.Cluster.HttpPort}/v1  (/models, /completions, /chat/completions)");
        if (o.Cluster.MetricsPort > 0) await _output.WriteLineAsync($"  metrics     {scheme}://{host}:{o.Cluster.MetricsPort}/metrics");
        var names = o.Models.Select(m => m.Id).Concat(o.Packs.Select(p => $"{p.Name} (pack: {p.Method})"));
        await _output.WriteLineAsync($"  models      {string.Join(", ", names)}");
        await _output.WriteLineAsync("Ctrl-C stops (sessions in flight finish first, up to Chorus:Sessions:DrainSeconds).");
    }

    /// <summary>Returns when the command is cancelled (Ctrl-C) or the host stops by itself.</summary>
    public async Task WaitForShutdownAsync(CancellationToken ct)
    {
        var stopped = _app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var done = new TaskCompletionSource();
        using var a = ct.Register(() => done.TrySetResult());
        using var b = stopped.Register(() => done.TrySetResult());
        await done.Task;
    }

    // The output is for the progress and endpoint lines: the silo logs warnings and errors (everything with --verbose) to stderr.
    private static void Logging(WebApplicationBuilder builder, bool verbose)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; o.UseUtcTimestamp = true; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter<ConsoleLoggerProvider>(null, verbose ? LogLevel.Information : LogLevel.Warning);
        if (!verbose)
            foreach (var noisy in new[] { "Orleans", "Microsoft", "Polly", "llama.cpp" })
                builder.Logging.AddFilter<ConsoleLoggerProvider>(noisy, LogLevel.Error);
        // the command's cancellation (Ctrl-C through System.CommandLine) stops the host, not a console lifetime of its own
        builder.Services.AddSingleton<IHostLifetime, ToolHostLifetime>();
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            var drain = TimeSpan.FromSeconds(Options.Sessions.DrainSeconds + 15);
            using var timeout = new CancellationTokenSource(drain);
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // the drain took too long; disposing tears the rest down
            }
        }
        await _app.DisposeAsync();
    }
}
