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
        // long enough that the prefill right after the grant is never late on a loaded machine
        options.Sessions = new SessionOptions { IdleTimeout = TimeSpan.FromSeconds(3), IdleSweepInterval = TimeSpan.FromMilliseconds(250) };
        await ClusterFixture.ForgeModelsAsync();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddChorus(options));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var grain = cluster.Client.GetGrain<IModelGrain>("a");
        var session = Guid.NewGuid();
        SequenceHandle? handle = null;
        await foreach (var admitted in grain.Admit(session, 1))
            if (admitted is AdmissionGranted g) handle = g.Handles[0];
        await grain.Edit(handle!, SequenceEditRequest.Prefill("an abandoned prompt", 8));
        Assert.Contains(session, (await grain.Slots()).Sessions);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        SlotUsage slots;
        while ((slots = await grain.Slots()).ActiveSequences > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, slots.ActiveSequences);
        Assert.Equal(1, slots.SweptSequences); // the safety net counts what it had to free
        var e = await Assert.ThrowsAsync<ChorusException>(() => grain.Edit(handle!, SequenceEditRequest.Append([1], 8)));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("not held any more", e.Message);
        await cluster.StopAllSilosAsync();
    }
}
