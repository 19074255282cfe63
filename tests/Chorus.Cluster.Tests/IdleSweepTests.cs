using Chorus.Contracts;
using Chorus.Grains;
using Orleans.TestingHost;

namespace Chorus.Cluster.Tests;

/// <summary>A sequence whose session went away without closing it is freed once idle past the timeout.</summary>
public sealed class IdleSweepTests
{
    [Fact]
    public async Task An_abandoned_sequence_is_closed_after_the_idle_timeout()
    {
        var options = ClusterFixture.OptionsFor(0);
        options.Sessions = new SessionOptions { IdleTimeout = TimeSpan.FromMilliseconds(300), IdleSweepInterval = TimeSpan.FromMilliseconds(200) };
        await ClusterFixture.ForgeModelsAsync();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddChorus(options));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var grain = cluster.Client.GetGrain<IModelGrain>("a");
        var session = Guid.NewGuid();
        await grain.Open(session, "an abandoned prompt", 8, 0);
        Assert.Contains(session, (await grain.Slots()).Sessions);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        SlotUsage slots;
        while ((slots = await grain.Slots()).ActiveSequences > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, slots.ActiveSequences);
        var e = await Assert.ThrowsAsync<ChorusException>(() => grain.Append(session, [1], 8));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("no open sequence", e.Message);
        await cluster.StopAllSilosAsync();
    }
}
