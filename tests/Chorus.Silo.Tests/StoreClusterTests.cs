using System.Diagnostics;
using Chorus.Api;
using Chorus.Client;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// The production set-up, real end to end: three silo processes that find each other through a real membership store
/// (redis-server, or PostgreSQL through ADO.NET), each serving different models. A fused generation spans all three;
/// one silo is stopped gracefully (SIGTERM) mid-generation and another killed (SIGKILL): the sessions that needed them
/// end with Unavailable naming the lost model within seconds, none hangs, membership converges, the remaining models
/// (and the replica of a model served twice) keep serving, and a restarted silo rejoins and serves again.
/// </summary>
[Collection(MembershipStoresCollection.Name)]
public sealed class StoreClusterTests(MembershipStoresFixture stores, ITestOutputHelper output)
{
    private const int DrainSeconds = 3;
    private static readonly TimeSpan EndsWithin = TimeSpan.FromSeconds(DrainSeconds + 20);
    private static readonly TimeSpan ConvergesWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Redis_clustered_silos_come_and_go_and_the_cluster_keeps_serving() =>
        await ComeAndGoAsync("redis", stores.Redis.ConnectionString);

    [Fact]
    public async Task PostgreSql_clustered_silos_come_and_go_and_the_cluster_keeps_serving()
    {
        var database = await stores.NewDatabaseAsync();
        Assert.Equal(0, await ChorusCommandLine.RunAsync(["cluster", "init", "--connection-string", database], TextWriter.Null, TextWriter.Null));
        await ComeAndGoAsync("adonet", database);
    }

    private async Task ComeAndGoAsync(string provider, string connectionString)
    {
        await using var cluster = await StoreCluster.StartAsync(provider, connectionString, DrainSeconds);
        try
        {
            var client = cluster.Client;

            // a fused generation over a (silo 1), b (silo 2) and c (silo 3); silo 2 is stopped gracefully mid-generation
            var (drained, sinceTerm) = await InterruptAsync(cluster, ["a", "b", "c"], () => cluster.Silo(1).Terminate());
            output.WriteLine($"[{provider}] SIGTERM to silo 2: the generation ended after {sinceTerm.TotalSeconds:F2} s (drain {DrainSeconds} s) with {drained.StatusCode}: {drained.Status.Detail}");
            Assert.Equal(StatusCode.Unavailable, drained.StatusCode);
            Assert.Contains("'b'", drained.Status.Detail, StringComparison.Ordinal);
            Assert.True(sinceTerm < EndsWithin, $"took {sinceTerm.TotalSeconds:F1} s");
            using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60))) await cluster.Silo(1).WaitForExitAsync(exit.Token);
            Assert.True(cluster.Silo(1).HasExited, "the drained silo did not exit");
            Assert.Equal(0, cluster.Silo(1).ExitCode);
            var converged = Stopwatch.StartNew();
            await cluster.WaitUntilServedAsync(["a", "c", "r"], ConvergesWithin);
            output.WriteLine($"[{provider}] after silo 2 left, silo 1 saw the membership converge {converged.Elapsed.TotalSeconds:F2} s after its exit ({sinceTerm.TotalSeconds:F2} s after SIGTERM to the stream's end)");
            await AssertSlotsFreeAsync(client);

            // r keeps serving from its other replica; a new session goes to the live one
            await AssertGeneratesAsync(client, ["a", "r"]);

            // a generation over a and c; silo 3 is killed (no goodbye): its loss is detected by probes
            var (killed, sinceKill) = await InterruptAsync(cluster, ["a", "c"], () => cluster.Silo(2).Kill());
            output.WriteLine($"[{provider}] SIGKILL to silo 3: the generation ended after {sinceKill.TotalSeconds:F2} s with {killed.StatusCode}: {killed.Status.Detail}");
            Assert.Equal(StatusCode.Unavailable, killed.StatusCode);
            Assert.Contains("'c'", killed.Status.Detail, StringComparison.Ordinal);
            Assert.True(sinceKill < EndsWithin, $"took {sinceKill.TotalSeconds:F1} s");
            var detected = Stopwatch.StartNew();
            await cluster.WaitUntilServedAsync(["a", "r"], ConvergesWithin);
            output.WriteLine($"[{provider}] silo 3's death was in silo 1's view {detected.Elapsed.TotalSeconds:F2} s after the stream ended ({(sinceKill + detected.Elapsed).TotalSeconds:F2} s after SIGKILL)");
            await AssertSlotsFreeAsync(client);
            await AssertGeneratesAsync(client, ["a", "r"]);
            var gone = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(client, ["a", "c"], "uniform", maxTokens: 4));
            Assert.Equal(StatusCode.Unavailable, gone.StatusCode);
            Assert.Contains("'c'", gone.Status.Detail, StringComparison.Ordinal);

            // silo 2 starts again (a rescheduled pod): it rejoins and serves b, and r has two replicas again
            var rejoin = Stopwatch.StartNew();
            await cluster.RestartAsync(1);
            await cluster.WaitUntilServedAsync(["a", "b", "r"], ConvergesWithin);
            output.WriteLine($"[{provider}] silo 2 restarted and rejoined in {rejoin.Elapsed.TotalSeconds:F2} s (process start to silo 1 serving its models)");
            await AssertGeneratesAsync(client, ["a", "b"]);
            await AssertSpreadOverReplicasAsync(client);
        }
        finally
        {
            output.WriteLine(cluster.Logs);
        }
    }

    // Starts a long generation, interrupts a silo after 5 tokens, and returns the stream's error and the time from the interruption to it.
    private static async Task<(RpcException Error, TimeSpan Elapsed)> InterruptAsync(StoreCluster cluster, string[] members, Action interrupt)
    {
        var request = ClusterOfTwoSilosTests.Request(members, "uniform", maxTokens: 2000);
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var received = 0;
        Stopwatch? since = null;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var e in cluster.Client.GenerateAsync(request, hang.Token))
            {
                if (e.EventCase == GenerateEvent.EventOneofCase.Finished) return; // the interruption came too late: fails above
                if (e.Token is not null && ++received == 5)
                {
                    interrupt();
                    since = Stopwatch.StartNew();
                }
            }
        });
        return (error, since?.Elapsed ?? TimeSpan.MaxValue);
    }

    private static async Task AssertGeneratesAsync(Chorus.Client.Cluster.ChorusApiClient client, string[] members)
    {
        var events = await ClusterOfTwoSilosTests.GenerateAsync(client, members, "uniform", maxTokens: 6);
        Assert.Equal("max_tokens", events[^1].Finished.Reason);
        Assert.Equal(6, events[^1].Finished.Usage.CompletionTokens);
    }

    // every session that ended released its sequences on the silos that are still there
    private static async Task AssertSlotsFreeAsync(Chorus.Client.Cluster.ChorusApiClient client)
    {
        var reply = await client.ListModelsReplyAsync();
        Assert.All(reply.Replicas, r => Assert.True(r.ActiveSequences == 0, $"{r.Replica} on {r.Silo} still holds {r.ActiveSequences} sequence(s)"));
    }

    // r is served by silos 1 and 2: its two replicas settle one on each (an idle one placed on the wrong silo by the
    // churn moves), and new sessions land on both (by session id), so sessions spread over the replicas
    private async Task AssertSpreadOverReplicasAsync(Chorus.Client.Cluster.ChorusApiClient client)
    {
        var settled = System.Diagnostics.Stopwatch.StartNew();
        List<string> replicas;
        using (var deadline = new CancellationTokenSource(ConvergesWithin))
        {
            while ((replicas = (await client.ListModelsReplyAsync(deadline.Token)).Replicas.Where(r => r.Id == "r").Select(r => r.Silo).Distinct().ToList()).Count < 2)
                await Task.Delay(500, deadline.Token);
        }
        output.WriteLine($"r's replicas were on two silos {settled.Elapsed.TotalSeconds:F2} s after the rejoin was seen");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 24 && seen.Count < 2; i++)
        {
            var events = await ClusterOfTwoSilosTests.GenerateAsync(client, ["r"], "single", maxTokens: 1);
            seen.Add(events.First(e => e.Started is not null).Started.Members[0].Silo);
        }
        output.WriteLine($"sessions of r landed on: {string.Join(", ", seen)}");
        Assert.Equal(replicas.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }
}
