using System.Diagnostics;
using Chorus.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Silo;

/// <summary>
/// Graceful shutdown (SIGTERM, Kubernetes' pod termination): before the Orleans silo and the gRPC server stop, the silo
/// drains — health says NOT_SERVING, no new sessions or sequences are taken, in-flight sessions get up to
/// <c>Chorus:Sessions:DrainSeconds</c> to finish, and the rest are cancelled with Unavailable (their slots freed by the
/// sessions' own clean-up). Then Orleans stops, which leaves the membership table.
/// </summary>
internal sealed class DrainOnShutdown(SiloDrain drain, ModelHost models, ILocalSiloDetails silo, IOptions<ChorusOptions> options, ILogger<DrainOnShutdown> logger)
    : IHostedLifecycleService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    // how long cancelled sessions get to tell their clients and free their slots before Orleans stops
    private static readonly TimeSpan Unwind = TimeSpan.FromSeconds(5);

    /// <summary>The host's stop budget: the drain, then the unwinding and Orleans' leave within <see cref="BoundedStop.Bound"/>.</summary>
    public static TimeSpan ShutdownTimeout(Grains.SessionOptions sessions) => BoundedStop.Limit(sessions);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        var limit = TimeSpan.FromSeconds(Math.Max(0, options.Value.Sessions.DrainSeconds));
        var watch = Stopwatch.StartNew();
        logger.LogInformation("silo {Silo} is draining: {Sessions} session(s) and {Sequences} sequence(s) in flight, up to {Drain} s",
            silo.SiloAddress, drain.ActiveSessions, models.OpenSequences, limit.TotalSeconds);
        await WaitAsync(() => drain.ActiveSessions + models.OpenSequences == 0, limit, cancellationToken);
        if (drain.ActiveSessions + models.OpenSequences == 0)
        {
            logger.LogInformation("silo {Silo} drained in {Seconds:F2} s", silo.SiloAddress, watch.Elapsed.TotalSeconds);
            return;
        }
        logger.LogWarning("silo {Silo}: the drain time ({Drain} s) ran out with {Sessions} session(s) and {Sequences} sequence(s) in flight; cancelling them",
            silo.SiloAddress, limit.TotalSeconds, drain.ActiveSessions, models.OpenSequences);
        drain.Expire();
        await WaitAsync(() => drain.ActiveSessions == 0, Unwind, cancellationToken);
    }

    private static async Task WaitAsync(Func<bool> done, TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!done() && watch.Elapsed < limit && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Poll, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
