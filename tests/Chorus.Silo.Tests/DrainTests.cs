using System.Diagnostics;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// Graceful shutdown of a real silo process (SIGTERM): it turns NOT_SERVING and refuses new sessions, lets in-flight
/// ones finish within its drain time, cancels what is left with a clear Unavailable when the drain time runs out, and exits 0.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_stopping_silo_lets_an_in_flight_generation_finish_and_refuses_new_sessions()
    {
        using var silo = await StartAsync(drainSeconds: 120);
        using var client = ChorusApiClient.ForAddress(silo.Endpoint);
        var request = ClusterOfTwoSilosTests.Request(["a"], "single", maxTokens: 1500);
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var events = new List<GenerateEvent>();
        RpcException? refused = null;
        Stopwatch? sinceTerm = null;
        await foreach (var e in client.GenerateAsync(request, hang.Token))
        {
            events.Add(e);
            if (e.Token is null || events.Count(x => x.Token is not null) != 5) continue;
            silo.Terminate();
            sinceTerm = Stopwatch.StartNew();
            await WaitUntilNotServingAsync(client, hang.Token);
            refused = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(client, ["a"], "single", maxTokens: 2));
        }
        output.WriteLine($"the in-flight generation finished {sinceTerm?.Elapsed.TotalSeconds:F2} s after SIGTERM; a new one got {refused?.StatusCode}: {refused?.Status.Detail}");
        Assert.NotNull(refused);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("shutting down", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("max_tokens", events[^1].Finished.Reason);
        Assert.Equal(1500, events[^1].Finished.Usage.CompletionTokens);

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync(exit.Token);
        output.WriteLine($"the silo exited {sinceTerm?.Elapsed.TotalSeconds:F2} s after SIGTERM");
        Assert.True(silo.HasExited, silo.Log);
        Assert.Equal(0, silo.ExitCode);
        Assert.Contains("drained in", silo.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopping_silo_cancels_what_is_left_when_the_drain_time_runs_out()
    {
        using var silo = await StartAsync(drainSeconds: 1);
        using var client = ChorusApiClient.ForAddress(silo.Endpoint);
        var request = ClusterOfTwoSilosTests.Request(["a"], "single", maxTokens: 2000);
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var received = 0;
        Stopwatch? sinceTerm = null;
        var cut = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var e in client.GenerateAsync(request, hang.Token))
            {
                if (e.EventCase == GenerateEvent.EventOneofCase.Finished) return;
                if (e.Token is not null && ++received == 5)
                {
                    silo.Terminate();
                    sinceTerm = Stopwatch.StartNew();
                }
            }
        });
        output.WriteLine($"after {sinceTerm?.Elapsed.TotalSeconds:F2} s (drain 1 s) the generation ended with {cut.StatusCode}: {cut.Status.Detail}");
        Assert.Equal(StatusCode.Unavailable, cut.StatusCode);
        Assert.Contains("drain time", cut.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("retry", cut.Status.Detail, StringComparison.Ordinal);
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync(exit.Token);
        Assert.True(silo.HasExited, silo.Log);
        Assert.Equal(0, silo.ExitCode);
        Assert.Contains("drain time (1 s) ran out", silo.Log, StringComparison.Ordinal);
    }

    private static async Task WaitUntilNotServingAsync(ChorusApiClient client, CancellationToken cancellationToken)
    {
        while (await client.CheckHealthAsync(cancellationToken) == HealthCheckResponse.Types.ServingStatus.Serving)
            await Task.Delay(50, cancellationToken);
    }

    private static async Task<SiloProcess> StartAsync(int drainSeconds)
    {
        var ports = FreePorts.Take(3);
        var silo = SiloProcess.Start("draining", ports[0], ports[2],
        [
            $"--Chorus:Cluster:SiloPort={ports[0]}", $"--Chorus:Cluster:GatewayPort={ports[1]}", $"--Chorus:Cluster:GrpcPort={ports[2]}",
            $"--Chorus:Cluster:ClusterId=drain-{Guid.NewGuid():N}", $"--Chorus:Sessions:DrainSeconds={drainSeconds}",
            .. SiloArguments.Model(0, "a", TestModels.Spm(31), contextSize: 2048),
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information",
        ]);
        await silo.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        return silo;
    }
}
