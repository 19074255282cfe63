using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains.Tests.Models;

/// <summary>The scheduler's edits: batched across sequences, faults confined to the edit that caused them, the idle sweep.</summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class SchedulerEditTests(SchedulerModel model)
{
    [Fact]
    public async Task Edits_that_are_ready_together_share_one_decode_and_equal_separate_ones()
    {
        using var scheduler = model.Scheduler(slots: 4);
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 4).Granted()).Select(scheduler.Find).ToList();
        string[] prompts = ["Once upon a time", "int main(void) {", "To be, or not to be", "The capital of France is"];
        var separate = new List<float[]>();
        for (var i = 0; i < 4; i++)
        {
            var r = await scheduler.Edit(leases[i], new SequenceEdit(leases[i].Sequence, 0, model.Tokens(prompts[i]), DistributionRequest.Full), default);
            separate.Add(r.Next.Logits.ToArray());
        }

        // hold the scheduler thread while the four edits arrive, so they are ready together
        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var calls = scheduler.Runner.DecodeStatistics.DecodeCalls;
        var batched = leases.Select((l, i) => scheduler.Edit(l, new SequenceEdit(l.Sequence, 0, model.Tokens(prompts[i]), DistributionRequest.Full), default)).ToList();
        gate.Set();
        Assert.True(await held);
        var results = await Task.WhenAll(batched);

        Assert.Equal(calls + 1, scheduler.Runner.DecodeStatistics.DecodeCalls);
        Assert.Equal(1, scheduler.BatchedSteps);
        for (var i = 0; i < 4; i++)
        {
            var logits = results[i].Next.Logits;
            for (var t = 0; t < logits.Length; t++) Assert.Equal(separate[i][t], logits[t], 1e-3f);
        }
    }

    [Fact]
    public async Task An_edit_that_overflows_its_context_fails_alone_and_its_batch_mates_succeed()
    {
        using var scheduler = model.Scheduler(slots: 2, context: 32);
        var overflow = scheduler.Runner.SequenceContextSize + 1; // llama.cpp rounds the context up
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted()).Select(scheduler.Find).ToList();
        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var tooLong = scheduler.Edit(leases[0], new SequenceEdit(leases[0].Sequence, 0, Enumerable.Repeat(300, overflow).ToArray(), DistributionRequest.Top(4)), default);
        var fine = scheduler.Edit(leases[1], new SequenceEdit(leases[1].Sequence, 0, model.Tokens("a short prompt"), DistributionRequest.Top(4)), default);
        gate.Set();
        await held;
        Assert.Equal(ChorusErrorKind.OutOfRange, (await Assert.ThrowsAsync<ChorusException>(() => tooLong)).Kind); // mapped once, at the model boundary
        Assert.True(float.IsFinite((await fine).Next.LogSumExp));
        Assert.Equal(0, leases[0].Sequence.Length);
        Assert.True(scheduler.Healthy);
    }

    [Fact]
    public async Task A_cancelled_edit_never_runs_and_leaves_the_sequence_as_it_was()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        await scheduler.Edit(lease, new SequenceEdit(lease.Sequence, 0, model.Tokens("kept text"), DistributionRequest.Top(4)), default);
        var length = lease.Sequence.Length;
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            scheduler.Edit(lease, SequenceEdit.Append(lease.Sequence, [5, 6, 7], DistributionRequest.Top(4)), cts.Token));
        Assert.Equal(length, lease.Sequence.Length);
    }

    [Fact]
    public async Task An_edit_of_a_released_sequence_fails_with_a_clear_error()
    {
        using var scheduler = model.Scheduler(slots: 1);
        var lease = scheduler.Find((await Admissions.Ask(scheduler, Guid.NewGuid(), 1).Granted())[0]);
        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var edit = scheduler.Edit(lease, new SequenceEdit(lease.Sequence, 0, model.Tokens("racing a close"), DistributionRequest.Top(4)), default);
        var release = scheduler.Release(lease);
        gate.Set();
        await held;
        // the edit arrived first, so it runs first; the release then frees the slot
        Assert.True(float.IsFinite((await edit).Next.LogSumExp));
        Assert.True(await release);
        await Assert.ThrowsAnyAsync<Exception>(() => scheduler.Edit(lease, SequenceEdit.Append(lease.Sequence, [5], DistributionRequest.Top(4)), default));
        Assert.Equal(0, scheduler.Runner.ActiveSequences);
    }

    [Fact]
    public async Task The_sweep_frees_only_idle_sequences_and_counts_them()
    {
        using var scheduler = model.Scheduler(slots: 2);
        var handles = await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted();
        var busy = scheduler.Find(handles[1]);
        using (busy.Use())
        {
            Assert.Single(await scheduler.Sweep(TimeSpan.Zero));
        }
        Assert.Equal(1, scheduler.SweptSequences);
        Assert.Equal(1, scheduler.Runner.ActiveSequences);
        Assert.Throws<ChorusException>(() => scheduler.Find(handles[0]));
    }
}
