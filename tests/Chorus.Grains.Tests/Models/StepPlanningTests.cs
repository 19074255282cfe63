using System.Diagnostics;
using Chorus.Llama;

namespace Chorus.Grains.Tests.Models;

/// <summary>The two rules that shape a decode step: the prefill budget (chunked prefill) and the gather (batches that fill).</summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class StepPlanningTests(SchedulerModel model)
{
    private static long Ticks(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    [Fact]
    public void The_prefill_chunk_stretches_a_step_to_the_configured_multiple_of_a_decode_step()
    {
        var budget = new StepBudget(batchTokens: 512, stretch: 2);
        Assert.Equal(512, budget.PrefillTokens(decoding: false)); // nobody to protect: whole batches
        Assert.Equal(128, budget.PrefillTokens(decoding: true)); // a first guess until a prefill was measured
        for (var i = 0; i < 20; i++) budget.Observe(smallRows: 8, prefillRows: 0, Ticks(10));
        for (var i = 0; i < 40; i++) budget.Observe(smallRows: 8, prefillRows: 100, Ticks(20)); // 0.1 ms a prefill token
        Assert.InRange(budget.PrefillTokens(decoding: true), 95, 105); // one more decode step's time: 10 ms ÷ 0.1 ms
        Assert.Equal(512, new StepBudget(512, stretch: 0).PrefillTokens(decoding: true)); // chunking off
    }

    [Fact]
    public void The_prefill_chunk_stays_within_its_floor_and_the_batch()
    {
        var cheap = new StepBudget(batchTokens: 256, stretch: 3);
        for (var i = 0; i < 40; i++) cheap.Observe(8, 0, Ticks(10));
        for (var i = 0; i < 40; i++) cheap.Observe(8, 200, Ticks(10.2)); // prefill almost free (a GPU)
        Assert.Equal(256, cheap.PrefillTokens(decoding: true));
        var dear = new StepBudget(batchTokens: 256, stretch: 2);
        for (var i = 0; i < 40; i++) dear.Observe(1, 0, Ticks(1));
        for (var i = 0; i < 40; i++) dear.Observe(1, 100, Ticks(101)); // 1 ms a token
        // the floor: one row with the decode rows' micro-batch and a whole attention tile after it (ModelRunner.ChunkRows)
        Assert.Equal(Llama.ModelRunner.ChunkRows + 1, dear.PrefillTokens(decoding: true));
    }

    [Fact]
    public void The_gather_waits_for_the_sequences_a_step_served_until_they_are_back()
    {
        using var runner = Runner(out var leases, 3);
        var gather = new StepGather(gatherSteps: 1);
        gather.StepEnded(leases, stepMs: 10_000);
        Assert.True(gather.Remaining() > TimeSpan.Zero);
        gather.Arrived(leases[0]);
        gather.Arrived(leases[1]);
        Assert.True(gather.Remaining() > TimeSpan.Zero);
        runner.Release(leases[2].Sequence); // its session ended: it will not come back
        Assert.Equal(TimeSpan.Zero, gather.Remaining());
    }

    [Fact]
    public void A_sequence_late_past_the_window_is_not_waited_for_during_its_next_steps()
    {
        using var runner = Runner(out var leases, 2);
        var gather = new StepGather(gatherSteps: 1);
        gather.StepEnded(leases, stepMs: 0.001);
        gather.Arrived(leases[0]);
        Thread.Sleep(5); // past the window's 0.25 ms floor
        Assert.Equal(TimeSpan.Zero, gather.Remaining());
        gather.GiveUp();
        Assert.Equal(1, gather.MissedSequences);
        for (var step = 0; step < 8; step++)
        {
            gather.StepEnded(leases, stepMs: 10_000);
            gather.Arrived(leases[0]);
            Assert.Equal(TimeSpan.Zero, gather.Remaining()); // only the late one is missing, and it is not waited for
        }
        gather.StepEnded(leases, stepMs: 10_000);
        gather.Arrived(leases[0]);
        Assert.True(gather.Remaining() > TimeSpan.Zero); // on time again after its penalty
    }

    [Fact]
    public void Gathering_off_never_waits()
    {
        using var runner = Runner(out var leases, 2);
        var gather = new StepGather(gatherSteps: 0);
        gather.StepEnded(leases, stepMs: 10_000);
        Assert.False(gather.Waiting);
        Assert.Equal(TimeSpan.Zero, gather.Remaining());
    }

    // leases over a real runner's sequences (the gather reads whether each is still open)
    private ModelRunner Runner(out List<SlotLease> leases, int count)
    {
        var runner = new ModelRunner(model.Model, new LlamaContextOptions { ContextSize = 32, MaxSequences = count, Threads = 1 });
        leases = [.. Enumerable.Range(0, count).Select(i => new SlotLease(i, Guid.NewGuid(), new TextSequence(runner, runner.Open())))];
        return runner;
    }
}
