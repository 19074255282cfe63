using Chorus.Llama;

namespace Chorus.Grains.Tests.Models;

/// <summary>Cached prefixes never hold a request back: a slot that keeps an ended sequence's KV is a free slot.</summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class PrefixAdmissionTests(SchedulerModel model)
{
    private const string Prompt = "Once upon a time in a land far away there lived a king who had three daughters and a dragon";

    [Fact]
    public async Task A_request_is_granted_at_once_when_every_slot_holds_a_cached_prefix()
    {
        using var scheduler = model.Scheduler(slots: 2, prefixCache: true);
        await FillAndRelease(scheduler, 2);
        Assert.Equal(2, await scheduler.OnSchedulerThread(() => scheduler.Runner.CachedPrefixes));

        var handles = await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted(); // no Queued event first

        Assert.Equal(2, handles.Length);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task A_waiting_request_gets_the_slot_a_released_sequence_leaves_cached()
    {
        using var scheduler = model.Scheduler(slots: 1, prefixCache: true);
        var held = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        await scheduler.Edit(held, new SequenceEdit(held.Sequence, 0, model.Tokens(Prompt), DistributionRequest.Top(4)), default);
        var waiting = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        await waiting.Queued();

        await scheduler.Release(held);
        var lease = scheduler.Find((await waiting.Granted())[0]);

        // and the waiter starts from the KV the released sequence left
        var tokens = model.Tokens(Prompt + " and a castle");
        await scheduler.Edit(lease, new SequenceEdit(lease.Sequence, 0, tokens, DistributionRequest.Top(4)), default);
        Assert.True(scheduler.Runner.PrefixStatistics.HitTokens > 0);
        Assert.Equal(tokens, lease.Sequence.Tokens);
    }

    private async Task FillAndRelease(ModelScheduler scheduler, int slots)
    {
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), slots).Granted()).Select(scheduler.Find).ToList();
        for (var i = 0; i < leases.Count; i++)
            await scheduler.Edit(leases[i], new SequenceEdit(leases[i].Sequence, 0, model.Tokens($"{i}: {Prompt}"), DistributionRequest.Top(4)), default);
        foreach (var lease in leases) await scheduler.Release(lease);
    }
}
