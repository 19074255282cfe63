using System.Diagnostics;
using Chorus.Bench.Load.Client;
using Chorus.Bench.Load.Workloads;

namespace Chorus.Bench.Load.Load;

/// <summary>
/// Runs one cell: a workload on one server at one load point, for a duration (or a number of jobs). New jobs start only
/// inside the window; jobs in flight when it closes finish and count, and the wall time runs to the last of them.
/// </summary>
internal sealed class LoadDriver(OpenAiStreamClient client, LoadSettings settings)
{
    /// <summary>Runs the cell and returns its requests and its wall time.</summary>
    public async Task<(IReadOnlyList<RequestResult> Requests, TimeSpan Wall)> RunAsync(ServerTarget target, IWorkload workload, LoadPoint load,
        int seed, CancellationToken cancellationToken)
    {
        var log = new RequestLog();
        var start = Stopwatch.GetTimestamp();
        if (load.Closed) await ClosedAsync(target, workload, load.Clients, seed, log, start, cancellationToken);
        else await OpenAsync(target, workload, load.Rate, seed, log, start, cancellationToken);
        return (log.Snapshot(), Stopwatch.GetElapsedTime(start));
    }

    // C clients, each with its own random source: client c sends the same sequence of jobs to every server
    private async Task ClosedAsync(ServerTarget target, IWorkload workload, int clients, int seed, RequestLog log, long start, CancellationToken ct)
    {
        var jobsLeft = settings.Jobs > 0 ? settings.Jobs : int.MaxValue;
        bool NextJob() => (settings.Jobs > 0 || Stopwatch.GetElapsedTime(start) < settings.Duration) && Interlocked.Decrement(ref jobsLeft) >= 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(Mix(seed, c));
            while (NextJob()) await workload.RunAsync(new JobContext(client, target, random, log), ct);
        }, ct)));
    }

    // Poisson arrivals: exponential gaps from a seeded source, each job independent (and given its own random source)
    private async Task OpenAsync(ServerTarget target, IWorkload workload, double rate, int seed, RequestLog log, long start, CancellationToken ct)
    {
        var arrivals = new Random(seed);
        var jobs = new List<Task>();
        var at = 0.0;
        for (var i = 0; ; i++)
        {
            at += -Math.Log(1 - arrivals.NextDouble()) / rate;
            if (settings.Jobs > 0 ? i >= settings.Jobs : at >= settings.Duration.TotalSeconds) break;
            var wait = TimeSpan.FromSeconds(at) - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            var random = new Random(Mix(seed, i));
            jobs.Add(Task.Run(() => workload.RunAsync(new JobContext(client, target, random, log), ct), ct));
        }
        await Task.WhenAll(jobs);
    }

    /// <summary>A seed for stream <paramref name="index"/> of <paramref name="seed"/> (stable across runs, unlike HashCode).</summary>
    public static int Mix(int seed, int index) => unchecked((seed * 1_000_003) ^ (index * 7_919 + 17));
}
