using System.Diagnostics;
using Chorus.Api;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>A silo process dies mid-generation: the client hears Unavailable within seconds, the other silo carries on.</summary>
public sealed class SiloFailureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan UnavailableWithin = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Killing_a_member_silo_mid_generation_fails_the_stream_with_Unavailable_and_the_other_silo_keeps_serving()
    {
        await using var cluster = await TwoSiloCluster.StartAsync(contextSize: 2048);
        try
        {
            // long enough that it is still running when silo 2 goes: 2000 steps of two members
            var request = ClusterOfTwoSilosTests.Request(["a", "b"], "uniform", maxTokens: 2000);
            using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var received = 0;
            var killedAfter = 0;
            Stopwatch? sinceKill = null;
            var failure = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await foreach (var e in cluster.Client.GenerateAsync(request, hang.Token))
                {
                    if (e.EventCase == GenerateEvent.EventOneofCase.Finished) return; // the kill came too late: fails below
                    if (e.Token is not null && ++received == 5)
                    {
                        cluster.Silo2.Kill();
                        killedAfter = received;
                        sinceKill = Stopwatch.StartNew();
                    }
                }
            });
            var elapsed = sinceKill?.Elapsed ?? TimeSpan.MaxValue;
            output.WriteLine($"after {killedAfter} tokens silo 2 was killed ({received} arrived in all); the client got {failure.StatusCode} after {elapsed.TotalSeconds:F2} s: {failure.Status.Detail}");

            Assert.True(cluster.Silo2.HasExited);
            Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
            Assert.True(elapsed < UnavailableWithin, $"Unavailable came after {elapsed.TotalSeconds:F1} s");

            // silo 1 is healthy and serves a request that needs only its own models
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await cluster.Client.CheckHealthAsync());
            var local = await ClusterOfTwoSilosTests.GenerateAsync(cluster.Client, ["a", "a2"], "uniform", maxTokens: 6);
            Assert.Equal("max_tokens", local[^1].Finished.Reason);
            Assert.Equal(6, local[^1].Finished.Usage.CompletionTokens);

            // a request for the dead silo's model fails fast and says why
            var started = Stopwatch.StartNew();
            var gone = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(cluster.Client, ["a", "b"], "uniform", maxTokens: 4));
            output.WriteLine($"a new request for 'b' failed with {gone.StatusCode} after {started.Elapsed.TotalSeconds:F2} s: {gone.Status.Detail}");
            Assert.Equal(StatusCode.Unavailable, gone.StatusCode);
            Assert.Contains("'b'", gone.Status.Detail, StringComparison.Ordinal);
            // Fast in every run: a session grain stays out of the grain directory (LocalSessionPlacement), so it never waits for
            // the recovery lease Orleans puts on a crashed silo's directory ranges (~14 s in a third of runs before; a
            // loaded CI machine gets slack beyond the < 2 s bench/Chorus.ReliabilityBench "crash" measures).
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(["a", "a2"], (await cluster.Client.ListModelsAsync()).Select(m => m.Id).Order(StringComparer.Ordinal));
        }
        finally
        {
            output.WriteLine(cluster.Logs);
        }
    }

    [Fact]
    public async Task A_silo_stops_by_itself_when_its_parent_process_is_gone()
    {
        // the silo's parent here is a shell, not the test: when the shell is killed the silo must follow
        var ports = Chorus.Client.Cluster.FreePorts.Take(3);
        using var shell = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 120"]) { UseShellExecute = false })!;
        using var silo = SiloProcess.Start("orphan", ports[0], ports[2],
        [
            $"--Chorus:Cluster:SiloPort={ports[0]}", $"--Chorus:Cluster:GatewayPort={ports[1]}", $"--Chorus:Cluster:GrpcPort={ports[2]}",
            $"--Chorus:Cluster:ClusterId=orphan-{Guid.NewGuid():N}",
        ], parentProcessId: shell.Id);
        await silo.WaitUntilServingAsync(TimeSpan.FromSeconds(60));
        shell.Kill();
        await shell.WaitForExitAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stopwatch = Stopwatch.StartNew();
        await silo.WaitForExitAsync(timeout.Token);
        output.WriteLine($"the silo exited {stopwatch.Elapsed.TotalSeconds:F2} s after its parent");
        Assert.True(silo.HasExited, $"the silo outlived its parent:\n{silo.Log}");
    }
}
