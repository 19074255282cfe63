using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains.Tests.Models;

/// <summary>
/// A text edit is planned, applied and committed on the scheduler's thread, so a caller in the model's silo (on any thread)
/// and the grain are equally safe; a planning error fails that edit alone, mapped like every model error.
/// </summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class PlannedEditTests(SchedulerModel model)
{
    [Fact]
    public async Task Planning_and_committing_run_on_the_scheduler_thread_and_the_text_follows_before_the_caller_resumes()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        var schedulerThread = await scheduler.OnSchedulerThread(() => Thread.CurrentThread);
        Thread? plannedOn = null;

        var (plan, result) = await Edit(scheduler, lease, () =>
        {
            plannedOn = Thread.CurrentThread;
            return lease.Text.PlanPrefill("The river ran", DistributionRequest.Top(4), evidence: false);
        }, default);

        Assert.Same(schedulerThread, plannedOn);
        Assert.Equal("The river ran", lease.Text.Text); // committed before the caller resumed
        Assert.Equal(plan.Edit.Tokens.Length, lease.Sequence.Length);
        Assert.True(float.IsFinite(result.Next.LogSumExp));
    }

    [Fact]
    public async Task Edits_of_one_sequence_posted_together_each_plan_against_what_the_previous_one_left()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var first = Edit(scheduler, lease, () => lease.Text.PlanPrefill("The river", DistributionRequest.Top(4), evidence: false), default);
        var second = Edit(scheduler, lease, () => lease.Text.PlanSync(lease.Text.Text + " ran on", DistributionRequest.Top(4)), default);
        gate.Set();
        await held;

        await first;
        var (plan, _) = await second;
        Assert.Equal("The river ran on", lease.Text.Text);
        Assert.Equal(0, plan.RolledBack);
    }

    [Fact]
    public async Task A_plan_that_throws_fails_its_edit_alone_with_a_mapped_error_and_the_sequence_is_unchanged()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        await Edit(scheduler, lease, () => lease.Text.PlanPrefill("kept text", DistributionRequest.Top(4), evidence: false), default);
        var length = lease.Sequence.Length;

        var e = await Assert.ThrowsAsync<ChorusException>(() =>
            Edit(scheduler, lease, () => throw new ArgumentException("token 99999 is not in the vocabulary"), default));

        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(length, lease.Sequence.Length);
        Assert.Equal("kept text", lease.Text.Text);
        Assert.True(scheduler.Healthy);
    }

    private static async Task<(TextEdit Plan, EditResult Result)> Edit(ModelScheduler scheduler, SlotLease lease, Func<TextEdit> plan, CancellationToken cancellationToken)
    {
        var work = scheduler.EditText(lease, plan, cancellationToken);
        var result = await work.Completion.Task;
        return (work.Planned!, result);
    }

    [Fact]
    public async Task A_full_context_is_out_of_range_wherever_it_happens()
    {
        using var scheduler = model.Scheduler(slots: 1, context: 32);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        var tooMany = Enumerable.Repeat(300, scheduler.Runner.SequenceContextSize + 1).ToArray();

        var e = await Assert.ThrowsAsync<ChorusException>(() => Edit(scheduler, lease, () => lease.Text.PlanAppend(tooMany, DistributionRequest.Top(4)), default));

        Assert.Equal(ChorusErrorKind.OutOfRange, e.Kind);
        Assert.Equal(0, lease.Sequence.Length);
    }
}
