using Chorus.Contracts;

namespace Chorus.Grains.Tests.Models;

/// <summary>Slot admission: immediate grants, the FIFO queue, its limits, cancellation, and owners that end.</summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class AdmissionTests(SchedulerModel model)
{
    [Fact]
    public async Task Free_slots_are_granted_at_once_with_distinct_leases()
    {
        using var scheduler = model.Scheduler(slots: 4);
        var handles = await Admissions.Ask(scheduler, Guid.NewGuid(), 3).Granted();
        Assert.Equal(3, handles.Length);
        Assert.Equal(3, handles.Select(h => h.Slot).Distinct().Count());
        Assert.Equal(3, handles.Select(h => h.Lease).Distinct().Count());
        Assert.Equal(3, scheduler.Runner.ActiveSequences);
    }

    [Fact]
    public async Task Waiters_are_granted_in_arrival_order_and_told_where_they_stand()
    {
        using var scheduler = model.Scheduler(slots: 2);
        var holder = Guid.NewGuid();
        var held = await Admissions.Ask(scheduler, holder, 2).Granted();
        var b = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        Assert.Equal(new AdmissionQueued(1, 1), await b.Queued());
        var c = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        Assert.Equal(new AdmissionQueued(2, 2), await c.Queued());

        await scheduler.Release(scheduler.Find(held[0]));
        Assert.Single(await b.Granted());
        Assert.Equal(new AdmissionQueued(1, 1), await c.Queued()); // c moved up
        await scheduler.Release(scheduler.Find(held[1]));
        Assert.Single(await c.Granted());
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task A_large_request_at_the_head_is_not_overtaken_by_small_ones()
    {
        using var scheduler = model.Scheduler(slots: 2);
        var held = await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted();
        var big = Admissions.Ask(scheduler, Guid.NewGuid(), 2);
        await big.Queued();
        var small = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        await small.Queued();

        await scheduler.Release(scheduler.Find(held[0])); // one slot free: enough for small, not for big
        Assert.Equal(1, await scheduler.OnSchedulerThread(() => scheduler.Runner.FreeSequences));
        Assert.False(small.HasUpdate);
        await scheduler.Release(scheduler.Find(held[1]));
        Assert.Equal(2, (await big.Granted()).Length);
        Assert.Equal(new AdmissionQueued(1, 1), await small.Queued());
    }

    [Fact]
    public async Task A_full_queue_refuses_with_resource_exhausted()
    {
        using var scheduler = model.Scheduler(slots: 1, queueDepth: 2);
        await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted();
        await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Queued();
        await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Queued();
        var e = Assert.IsType<ChorusException>(await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Failure());
        Assert.Equal(ChorusErrorKind.ResourceExhausted, e.Kind);
        Assert.Contains("QueueDepth", e.Message);
    }

    [Fact]
    public async Task A_wait_past_the_maximum_ends_with_resource_exhausted_and_the_next_moves_up()
    {
        using var scheduler = model.Scheduler(slots: 1, maxWaitMs: 200);
        await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted();
        var first = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        await first.Queued();
        var e = Assert.IsType<ChorusException>(await first.Failure());
        Assert.Equal(ChorusErrorKind.ResourceExhausted, e.Kind);
        Assert.Contains("MaxQueueMilliseconds", e.Message);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task Cancelling_a_waiter_withdraws_it_and_the_one_behind_moves_up()
    {
        using var scheduler = model.Scheduler(slots: 1);
        await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted();
        using var cts = new CancellationTokenSource();
        var cancelled = Admissions.Ask(scheduler, Guid.NewGuid(), 1, cts.Token);
        await cancelled.Queued();
        var behind = Admissions.Ask(scheduler, Guid.NewGuid(), 1);
        Assert.Equal(new AdmissionQueued(2, 2), await behind.Queued());
        await cts.CancelAsync();
        Assert.IsAssignableFrom<OperationCanceledException>(await cancelled.Failure());
        Assert.Equal(new AdmissionQueued(1, 1), await behind.Queued());
    }

    [Fact]
    public void Asking_for_more_slots_than_the_model_has_is_an_invalid_argument()
    {
        using var scheduler = model.Scheduler(slots: 8);
        var e = Assert.Throws<ChorusException>(() => scheduler.Admit(Guid.NewGuid(), 9, CancellationToken.None));
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("8 slots", e.Message);
    }

    [Fact]
    public async Task An_ended_owner_frees_everything_at_once_and_its_late_requests_are_refused()
    {
        using var scheduler = model.Scheduler(slots: 3);
        var owner = Guid.NewGuid();
        await Admissions.Ask(scheduler, owner, 2).Granted();
        var other = Guid.NewGuid();
        await Admissions.Ask(scheduler, other, 1).Granted();
        var waiting = Admissions.Ask(scheduler, owner, 1); // the same owner also waits (a second model key would)
        await waiting.Queued();

        Assert.Equal(2, await scheduler.ReleaseOwner(owner));
        Assert.Equal(1, scheduler.Runner.ActiveSequences);
        Assert.Equal(ChorusErrorKind.Cancelled, Assert.IsType<ChorusException>(await waiting.Failure()).Kind);
        var late = Assert.IsType<ChorusException>(await Admissions.Ask(scheduler, owner, 1).Failure());
        Assert.Equal(ChorusErrorKind.Cancelled, late.Kind);
    }

    [Fact]
    public async Task A_handle_whose_sequence_was_freed_does_not_reach_the_slots_next_owner()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var old = (await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0];
        await scheduler.Release(scheduler.Find(old));
        var fresh = (await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0];
        Assert.Equal(old.Slot, fresh.Slot);
        var e = Assert.Throws<ChorusException>(() => scheduler.Find(old));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Same(scheduler.Find(fresh), scheduler.Find(fresh));
    }

    [Fact]
    public async Task Many_owners_admitted_and_ended_concurrently_leave_no_slot_taken()
    {
        using var scheduler = model.Scheduler(slots: 4, queueDepth: 400);
        var random = new Random(7);
        var owners = Enumerable.Range(0, 200).Select(_ => (Owner: Guid.NewGuid(), Count: 1 + random.Next(3), EndEarly: random.Next(4) == 0)).ToList();
        await Task.WhenAll(owners.Select(o => Task.Run(async () =>
        {
            var admission = Admissions.Ask(scheduler, o.Owner, o.Count);
            if (!o.EndEarly) await admission.Granted();
            await scheduler.ReleaseOwner(o.Owner); // early: while it may still wait, or even before it asked
        })));
        Assert.Equal(0, await scheduler.OnSchedulerThread(() => scheduler.Runner.ActiveSequences));
        Assert.Equal(0, scheduler.Waiting);
        Assert.Empty(scheduler.Admission.Leases);
    }
}
