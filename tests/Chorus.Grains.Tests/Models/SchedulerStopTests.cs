using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains.Tests.Models;

/// <summary>
/// A scheduler thread that stops without being asked (not reachable by design) leaves no request waiting; one asked to stop
/// ends cleanly, not through the loop's last-resort catch.
/// </summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class SchedulerStopTests(SchedulerModel model)
{
    [Fact]
    public async Task Work_posted_after_the_thread_stopped_fails_at_once_and_the_model_reports_unhealthy()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        var thread = await scheduler.OnSchedulerThread(() => Thread.CurrentThread);

        thread.Interrupt(); // its next wait for work throws: the loop's last-resort catch ends the thread
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));

        Assert.False(scheduler.Healthy);
        var edit = scheduler.Edit(lease, new SequenceEdit(lease.Sequence, 0, model.Tokens("after the thread stopped"), DistributionRequest.Full), default);
        var e = await Assert.ThrowsAsync<ChorusException>(() => edit.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ChorusErrorKind.Unavailable, e.Kind);
        var control = scheduler.OnSchedulerThread(() => 1);
        Assert.Equal(ChorusErrorKind.Unavailable, (await Assert.ThrowsAsync<ChorusException>(() => control.WaitAsync(TimeSpan.FromSeconds(10)))).Kind);
    }

    [Fact]
    public async Task A_stop_that_was_asked_for_ends_the_thread_cleanly()
    {
        var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        await scheduler.Edit(lease, new SequenceEdit(lease.Sequence, 0, model.Tokens("before the stop"), DistributionRequest.Full), default);
        var thread = await scheduler.OnSchedulerThread(() => Thread.CurrentThread);

        scheduler.Dispose();

        Assert.False(thread.IsAlive);
        // the last-resort catch marks the model unhealthy; a stop that was asked for must not go through it (it did, when
        // the loop asked its single-reader inbox for a count it cannot give)
        Assert.True(scheduler.Healthy);
        var after = scheduler.OnSchedulerThread(() => 1);
        Assert.Equal(ChorusErrorKind.Unavailable, (await Assert.ThrowsAsync<ChorusException>(() => after.WaitAsync(TimeSpan.FromSeconds(10)))).Kind);
    }
}
