using Chorus.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Silo;

/// <summary>
/// A stopping silo (SIGTERM, the host stopping, its parent gone) exits within <c>Chorus:Sessions:DrainSeconds</c> +
/// <see cref="Bound"/>, whatever its membership store does. Orleans' own stop retries the store for minutes when it does
/// not answer (its join/leave attempt time), so a watchdog armed at the first stop signal ends the process at the bound;
/// the exit code says whether the silo left the membership (<see cref="SiloExitCodes"/>).
/// </summary>
internal sealed class BoundedStop(IHostApplicationLifetime lifetime, ISiloStatusOracle membership, ILocalSiloDetails silo,
    IOptions<ChorusOptions> options, ILogger<BoundedStop> logger) : IHostedLifecycleService
{
    /// <summary>After the drain: cancelling what is left (up to 5 s) and leaving the membership (under a second when the store answers).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly System.Diagnostics.Stopwatch _sinceStop = new();
    private Timer? _watchdog;
    private CancellationTokenRegistration _stopping;

    /// <summary>The process's exit code once the host has stopped: whether the membership recorded this silo's leave.</summary>
    public int ExitCode { get; private set; } = SiloExitCodes.LeftMembership;

    /// <summary>Bounds the stop of a silo that is its own process (never of a silo hosted inside another program).</summary>
    public static void AddTo(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BoundedStop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BoundedStop>());
    }

    /// <summary>The whole stop's budget for <paramref name="sessions"/>: the drain, then <see cref="Bound"/>.</summary>
    public static TimeSpan Limit(Grains.SessionOptions sessions) => TimeSpan.FromSeconds(Math.Max(0, sessions.DrainSeconds)) + Bound;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = lifetime.ApplicationStopping.Register(Arm);
        return Task.CompletedTask;
    }

    private void Arm()
    {
        _sinceStop.Start();
        _watchdog = new Timer(_ => GiveUp(), null, Limit(options.Value.Sessions), Timeout.InfiniteTimeSpan);
    }

    // the stop did not finish in time: most likely the store does not answer Orleans' leave
    private void GiveUp()
    {
        // written straight to stderr: the logger's queue would not be flushed before the process ends
        Console.Error.WriteLine($"chorus-silo: silo {silo.SiloAddress} did not leave the cluster membership within {_sinceStop.Elapsed.TotalSeconds:F1} s of the stop "
            + $"(DrainSeconds {options.Value.Sessions.DrainSeconds} + {Bound.TotalSeconds:F0} s; the membership store did not answer, status {membership.CurrentStatus}); "
            + $"exiting without leaving, code {SiloExitCodes.StoppedWithoutLeaving}: the other silos declare it dead through their probes");
        ImmediateExit.Now(SiloExitCodes.StoppedWithoutLeaving);
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _watchdog?.Dispose();
        // Orleans records the leave locally only once the store took it (or it read its own Dead row back). Without a store
        // (localhost, development) the table lives in a silo and a leave is one best-effort message: a stop in time is the leave.
        var provider = Membership.ClusterProviders.Normalize(options.Value.Cluster.Provider);
        if (membership.CurrentStatus == SiloStatus.Dead || provider is not (Membership.ClusterProviders.Redis or Membership.ClusterProviders.AdoNet))
        {
            logger.LogInformation("silo {Silo} left the cluster membership {Seconds:F2} s after the stop", silo.SiloAddress, _sinceStop.Elapsed.TotalSeconds);
            return Task.CompletedTask;
        }
        ExitCode = SiloExitCodes.StoppedWithoutLeaving;
        Console.Error.WriteLine($"chorus-silo: silo {silo.SiloAddress} stopped after {_sinceStop.Elapsed.TotalSeconds:F1} s without leaving the cluster membership "
            + $"(the membership store did not take the leave, status {membership.CurrentStatus}); exit code {SiloExitCodes.StoppedWithoutLeaving}: "
            + "the other silos declare it dead through their probes");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Dispose();
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
