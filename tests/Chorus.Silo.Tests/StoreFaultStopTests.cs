using System.Diagnostics;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// A silo told to stop while its membership store is gone (redis-server killed) or hung (SIGSTOP) still exits within
/// DrainSeconds + <see cref="BoundedStop.Bound"/>, says in one line that it did not leave the membership, and exits with
/// <see cref="SiloExitCodes.StoppedWithoutLeaving"/>; with the store up it leaves and exits 0 (StoreClusterTests).
/// </summary>
public sealed class StoreFaultStopTests(ITestOutputHelper output)
{
    private const int DrainSeconds = 1;

    [Theory]
    [InlineData("gone")]
    [InlineData("hung")]
    public async Task A_silo_whose_store_does_not_answer_exits_within_its_bound_after_SIGTERM(string fault)
    {
        await using var redis = await RedisServer.StartAsync();
        var ports = FreePorts.Take(3);
        using var silo = SiloProcess.Start($"store-{fault}", ports[0], ports[2],
        [
            "--Chorus:Cluster:Provider=redis", $"--Chorus:Cluster:ConnectionString={redis.ConnectionString}",
            $"--Chorus:Cluster:ClusterId=stop-{Guid.NewGuid():N}", .. SiloArguments.Ports(ports[0], ports[1], ports[2]),
            $"--Chorus:Sessions:DrainSeconds={DrainSeconds}", .. SiloArguments.Model(0, "a", TestModels.Spm(31), contextSize: 512),
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information",
        ]);
        await silo.WaitUntilServingAsync(StoreCluster.StartTimeout);
        using (var client = ChorusApiClient.ForAddress(silo.Endpoint))
        {
            var events = await ClusterOfTwoSilosTests.GenerateAsync(client, ["a"], "single", maxTokens: 4);
            Assert.Equal("max_tokens", events[^1].Finished.Reason);
        }

        if (fault == "hung") redis.Hang();
        else redis.Kill();
        silo.Terminate();
        var sinceTerm = Stopwatch.StartNew();
        var limit = BoundedStop.Limit(new Grains.SessionOptions { DrainSeconds = DrainSeconds });
        // the bound plus the time a loaded machine needs to schedule the exit; before the bound existed it ran for minutes
        using var exit = new CancellationTokenSource(limit + TimeSpan.FromSeconds(15));
        await silo.WaitForExitAsync(exit.Token);
        output.WriteLine($"store {fault}: the silo exited {sinceTerm.Elapsed.TotalSeconds:F2} s after SIGTERM (bound {limit.TotalSeconds:F0} s) with code "
            + (silo.HasExited ? silo.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none"));
        Assert.True(silo.HasExited, $"still running {sinceTerm.Elapsed.TotalSeconds:F0} s after SIGTERM:\n{silo.Log}");
        Assert.Equal(SiloExitCodes.StoppedWithoutLeaving, silo.ExitCode);
        Assert.Single(silo.Log.Split('\n'), l => l.Contains("without leaving", StringComparison.Ordinal));
        Assert.Contains("declare it dead through their probes", silo.Log, StringComparison.Ordinal);
    }
}
