using System.Diagnostics;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Grpc.Core;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// The membership store fails while sessions run (issue 25): it hangs while a member silo is SIGKILLed, or it restarts
/// empty. Sessions end with a status within seconds, no slot stays held on the silos that remain, and the cluster serves
/// afterwards — a dead silo is declared dead and a new silo joins, also after the store lost its table. Real
/// redis-server, real silo processes (bench/Chorus.ReliabilityBench "store-faults" runs the same faults under 64 sessions).
/// </summary>
public sealed class StoreFaultLoadTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan EndsWithin = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConvergesWithin = TimeSpan.FromSeconds(45);
    private static readonly Dictionary<string, string> Models = new() { ["a"] = TestModels.Spm(31), ["b"] = TestModels.Spm(33), ["c"] = TestModels.Spm(35) };
    private readonly string _clusterId = $"faults-{Guid.NewGuid():N}";
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("chorus-store-faults-").FullName;
    private readonly List<SiloProcess> _silos = [];

    [Fact]
    public async Task Sessions_whose_member_silo_dies_while_the_store_hangs_end_with_Unavailable_within_seconds()
    {
        await using var redis = await RedisServer.StartAsync();
        var silo1 = StartSilo("silo1", redis, "a");
        var silo2 = StartSilo("silo2", redis, "b");
        try
        {
            await Task.WhenAll(silo1.WaitUntilServingAsync(StoreCluster.StartTimeout), silo2.WaitUntilServingAsync(StoreCluster.StartTimeout));
            using var client = ChorusApiClient.ForAddress(silo1.Endpoint);
            await WaitUntilServedAsync(client, ["a", "b"], StoreCluster.StartTimeout);

            // six a+b sessions long enough to outlast the fault, and two a-only sessions that finish during it
            var clock = Stopwatch.StartNew();
            var fused = Enumerable.Range(0, 6).Select(_ => RunAsync(client, ["a", "b"], 2000, clock)).ToList();
            var local = Enumerable.Range(0, 2).Select(_ => RunAsync(client, ["a"], 40, clock)).ToList();
            await Task.WhenAll(fused.Select(s => s.Started));

            redis.Hang();
            silo2.Kill();
            var killedAt = clock.Elapsed;
            var ended = await Task.WhenAll(fused.Select(s => s.Ended));
            foreach (var e in ended) output.WriteLine($"a+b: {e.Status} {(e.At - killedAt).TotalSeconds:F2} s after the kill: {e.Detail}");
            Assert.All(ended, e =>
            {
                Assert.Equal(StatusCode.Unavailable, e.Status);
                Assert.Contains("'b'", e.Detail, StringComparison.Ordinal);
                Assert.True(e.At - killedAt < EndsWithin, $"ended {(e.At - killedAt).TotalSeconds:F1} s after the kill: the store still hangs, so it waited for the membership");
            });
            Assert.All(await Task.WhenAll(local.Select(s => s.Ended)), e => Assert.Equal("max_tokens", e.Reason));

            // still during the hang: b is known gone (a fast refusal, not a session that waits), a serves, nothing is held
            var refused = Stopwatch.StartNew();
            var gone = await Assert.ThrowsAsync<RpcException>(() => ClusterOfTwoSilosTests.GenerateAsync(client, ["a", "b"], "uniform", maxTokens: 4));
            output.WriteLine($"during the hang a new a+b request got {gone.StatusCode} after {refused.Elapsed.TotalSeconds:F2} s: {gone.Status.Detail}");
            Assert.Equal(StatusCode.Unavailable, gone.StatusCode);
            Assert.True(refused.Elapsed < EndsWithin, $"took {refused.Elapsed.TotalSeconds:F1} s");
            await AssertGeneratesAsync(client, ["a"]);
            await AssertSlotsFreeAsync(client);

            // the store answers again (the membership now declares silo 2 dead), and the cluster serves as before
            redis.Resume();
            await WaitUntilServedAsync(client, ["a"], ConvergesWithin);
            await AssertGeneratesAsync(client, ["a"]);
            await AssertSlotsFreeAsync(client);
        }
        finally
        {
            output.WriteLine(string.Join('\n', _silos.Select(s => s.Log)));
        }
    }

    [Fact]
    public async Task Membership_heals_after_the_Redis_store_restarts_empty_so_deaths_and_joins_are_seen_again()
    {
        await using var redis = await RedisServer.StartAsync();
        var silo1 = StartSilo("silo1", redis, "a");
        var silo2 = StartSilo("silo2", redis, "b");
        try
        {
            await Task.WhenAll(silo1.WaitUntilServingAsync(StoreCluster.StartTimeout), silo2.WaitUntilServingAsync(StoreCluster.StartTimeout));
            using var client = ChorusApiClient.ForAddress(silo1.Endpoint);
            await WaitUntilServedAsync(client, ["a", "b"], StoreCluster.StartTimeout);

            // the store loses everything while a+b sessions run: they finish (members talk silo to silo, not through the store)
            var clock = Stopwatch.StartNew();
            var sessions = Enumerable.Range(0, 4).Select(_ => RunAsync(client, ["a", "b"], 60, clock)).ToList();
            await Task.WhenAll(sessions.Select(s => s.Started));
            await redis.RestartEmptyAsync();
            var restarted = Stopwatch.StartNew();
            Assert.All(await Task.WhenAll(sessions.Select(s => s.Ended)), e => Assert.Equal("max_tokens", e.Reason));

            // a new silo joins the empty store, and silo 2 dies: silo 1 must see both (before the healing it saw neither)
            var silo3 = StartSilo("silo3", redis, "c");
            silo2.Kill();
            await silo3.WaitUntilServingAsync(StoreCluster.StartTimeout);
            await WaitUntilServedAsync(client, ["a", "c"], ConvergesWithin);
            output.WriteLine($"silo 1 served [a, c] (silo 2 declared dead, silo 3 joined) {restarted.Elapsed.TotalSeconds:F2} s after the store restarted empty");
            Assert.Contains(_silos, s => s.Log.Contains("lost this silo's row", StringComparison.Ordinal));
            await AssertGeneratesAsync(client, ["a", "c"]);
            await AssertSlotsFreeAsync(client);
        }
        finally
        {
            output.WriteLine(string.Join('\n', _silos.Select(s => s.Log)));
        }
    }

    private sealed record Ending(string Reason, StatusCode Status, string Detail, TimeSpan At);

    private sealed record Session(Task Started, Task<Ending> Ended);

    // A generation whose first token sets Started, and that ends with a finish reason or a gRPC status, timed on the test's clock.
    private static Session RunAsync(ChorusApiClient client, string[] members, int maxTokens, Stopwatch clock)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Ending> Run()
        {
            using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                var reason = "no finish event";
                await foreach (var e in client.GenerateAsync(ClusterOfTwoSilosTests.Request(members, members.Length == 1 ? "single" : "uniform", maxTokens), hang.Token))
                {
                    if (e.Token is not null) started.TrySetResult();
                    if (e.Finished is not null) reason = e.Finished.Reason;
                }
                return new(reason, StatusCode.OK, "", clock.Elapsed);
            }
            catch (RpcException e)
            {
                return new("", e.StatusCode, e.Status.Detail, clock.Elapsed);
            }
            finally
            {
                started.TrySetResult(); // a session that failed before its first token must not keep the test waiting
            }
        }
        return new(started.Task, Run());
    }

    private SiloProcess StartSilo(string name, RedisServer redis, string model)
    {
        var ports = FreePorts.Take(3);
        var known = Models.Keys.Select((id, i) => $"--Chorus:KnownModels:{i}={id}");
        var silo = SiloProcess.Start(name, ports[0], ports[2],
        [
            "--Chorus:Cluster:Provider=redis", $"--Chorus:Cluster:ConnectionString={redis.ConnectionString}", $"--Chorus:Cluster:ClusterId={_clusterId}",
            .. SiloArguments.Ports(ports[0], ports[1], ports[2]), .. SiloArguments.FastFailureDetection(),
            $"--Chorus:CacheDirectory={_cacheDirectory}", "--Chorus:Sessions:DrainSeconds=1",
            .. SiloArguments.Model(0, model, Models[model], contextSize: 2048, slots: 8), .. known,
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Chorus=Information",
        ]);
        _silos.Add(silo);
        return silo;
    }

    private static async Task WaitUntilServedAsync(ChorusApiClient client, string[] models, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        string[] served = [];
        try
        {
            while (!(served = [.. (await client.ListModelsAsync(deadline.Token)).Select(m => m.Id).Order(StringComparer.Ordinal)]).SequenceEqual(models))
                await Task.Delay(200, deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && e is OperationCanceledException or Grpc.Core.RpcException)
        {
            // the client turns our deadline into DeadlineExceeded when it cuts a call short: the same timeout, reported as one
            Assert.Fail($"silo 1 did not serve [{string.Join(", ", models)}] within {timeout.TotalSeconds:F0} s (serves [{string.Join(", ", served)}])");
        }
    }

    private static async Task AssertGeneratesAsync(ChorusApiClient client, string[] members)
    {
        var events = await ClusterOfTwoSilosTests.GenerateAsync(client, members, members.Length == 1 ? "single" : "uniform", maxTokens: 6);
        Assert.Equal("max_tokens", events[^1].Finished.Reason);
    }

    // every replica the silo sees (its own and the live silos') holds no sequence: each session released what it held
    private static async Task AssertSlotsFreeAsync(ChorusApiClient client)
    {
        var reply = await client.ListModelsReplyAsync();
        Assert.All(reply.Replicas, r => Assert.True(r.ActiveSequences == 0, $"{r.Replica} on {r.Silo} still holds {r.ActiveSequences} sequence(s)"));
    }

    public void Dispose()
    {
        foreach (var silo in _silos) silo.Dispose();
        TempFolders.Delete(_cacheDirectory);
    }
}
