using System.Collections.Concurrent;
using Chorus.Llama;
using Chorus.Primitives;

namespace Chorus.Grains.Tests.Models;

/// <summary>
/// Chunked prefill on a real model: a long prompt goes in over several steps while a decoding sequence keeps getting a
/// token every step, the prompt's rows equal a one-batch prefill's, a short prompt posted behind it is in first, and a
/// cancelled prefill stops between chunks with its sequence still usable.
/// </summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class ChunkedPrefillTests(SchedulerModel model)
{
    // generous gathering, so a decoding loop slowed by a busy test machine still makes every step
    private static readonly StepOptions Chunked = new(PrefillStretch: 2, GatherSteps: 10);
    private static readonly StepOptions Whole = new(PrefillStretch: 0, GatherSteps: 10);

    [Fact]
    public async Task A_decoding_sequence_gets_its_token_after_the_first_chunk_of_a_long_prompt_not_after_the_whole_prompt()
    {
        var (chunked, chunkedRows) = await DecodeBesideLongPrefill(Chunked);
        var (whole, wholeRows) = await DecodeBesideLongPrefill(Whole);

        // chunked: the decode row and the first chunk share the first step, and the prompt takes more steps after it
        Assert.Equal(2, chunked[0].Sequences);
        Assert.True(chunked[0].Rows < 401, $"the first step carried {chunked[0].Rows} rows: the prompt was not chunked");
        Assert.True(chunked.Sum(s => s.Rows) >= 401 && chunked.Count >= 2, $"the prompt went in {chunked.Count} steps");
        // every chunk but the last is whole attention tiles plus the row that joins the decode rows' micro-batch
        var chunks = chunked.Select((s, i) => s.Rows - (i == 0 ? 1 : 0)).ToList();
        Assert.All(chunks[..^1], c => Assert.True(c > ModelRunner.ChunkRows && c % ModelRunner.ChunkRows == 1, $"a chunk of {c} rows ({string.Join(", ", chunks)})"));
        // whole (chunking off, the old scheduler): the decode row waits for the whole prompt's step
        Assert.Equal(401, whole[0].Rows);
        var expected = FreshLogits(LongPrompt());
        foreach (var rows in new[] { chunkedRows, wholeRows })
            for (var t = 0; t < expected.Length; t++) Assert.Equal(expected[t], rows[t], 1e-3f);
    }

    [Fact]
    public async Task A_cancelled_prefill_stops_between_chunks_and_its_sequence_serves_the_next_edit_exactly()
    {
        var (scheduler, decoder, target) = await Decoding(Chunked);
        using var _ = scheduler;
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        // cancelled on the scheduler thread right after the first step (a decode row and the prompt's first chunk)
        scheduler.Decoded += _ =>
        {
            if (Interlocked.Increment(ref steps) == 1) cancel.Cancel();
        };
        var (row, prefill) = await PostTogether(scheduler, decoder, target, DistributionRequest.Top(4), cancel.Token);
        await row;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prefill);
        Assert.True(target.Sequence.Length > 0, "the first chunk went in");

        // the sequence holds the chunks that were decoded, exactly; the next edit rolls back and serves a fresh prompt
        Assert.True(target.Sequence.Length < LongPrompt().Length);
        var prompt = model.Tokens("To be, or not to be");
        var result = await scheduler.Edit(target, new SequenceEdit(target.Sequence, 0, prompt, DistributionRequest.Full), default);
        var expected = FreshLogits(prompt);
        for (var t = 0; t < expected.Length; t++) Assert.Equal(expected[t], result.Next.Logits[t], 1e-3f);
        Assert.Equal(prompt.Length, target.Sequence.Length);
        Assert.True(scheduler.Healthy);
    }

    // a decode row and a 400-token prompt posted together: every decode step until the prompt is in, and its next row
    [Fact]
    public async Task A_short_prompt_posted_behind_a_long_one_is_in_before_the_long_one()
    {
        using var scheduler = model.Scheduler(slots: 3, context: 512, steps: Chunked);
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 3).Granted()).Select(scheduler.Find).ToList();
        var decoder = leases[0];
        await scheduler.Edit(decoder, new SequenceEdit(decoder.Sequence, 0, model.Tokens("Once upon a time"), DistributionRequest.Top(4)), default);
        // longer than what a step's budget leaves beside the long prompt's first chunk, so arrival order would hold it back
        var shortPrompt = LongPrompt()[..70];

        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var row = scheduler.Edit(decoder, SequenceEdit.Append(decoder.Sequence, [NextToken(decoder)], DistributionRequest.Top(4)), default);
        var longOne = scheduler.Edit(leases[1], new SequenceEdit(leases[1].Sequence, 0, LongPrompt(), DistributionRequest.Top(4)), default);
        var shortOne = scheduler.Edit(leases[2], new SequenceEdit(leases[2].Sequence, 0, shortPrompt, DistributionRequest.Top(4)), default);
        // at each step (on the scheduler thread, before it completes that step's edits): which prompts are in already
        var seen = new ConcurrentQueue<(bool Short, bool Long)>();
        scheduler.Decoded += _ => seen.Enqueue((shortOne.IsCompleted, longOne.IsCompleted));
        gate.Set();
        await held;

        await Task.WhenAll(row, shortOne, longOne).WaitAsync(TimeSpan.FromSeconds(30));
        // in arrival order the long prompt's chunks would fill every step's budget until it was in
        Assert.Contains((true, false), seen);
        Assert.Equal(LongPrompt().Length, leases[1].Sequence.Length);
    }

    private async Task<(List<DecodeStep> Steps, float[] Next)> DecodeBesideLongPrefill(StepOptions options)
    {
        var (scheduler, decoder, target) = await Decoding(options);
        using var _ = scheduler;
        var steps = new ConcurrentQueue<DecodeStep>();
        scheduler.Decoded += steps.Enqueue;
        var (row, prompt) = await PostTogether(scheduler, decoder, target, DistributionRequest.Full, default);
        await row;
        var result = await prompt;
        return ([.. steps], result.Next.Logits.ToArray());
    }

    // two sequences of a fresh scheduler; the first has decoded a step, which teaches the budget a decode-only step's
    // cost, as a running replica knows it
    private async Task<(ModelScheduler Scheduler, SlotLease Decoder, SlotLease Target)> Decoding(StepOptions options)
    {
        var scheduler = model.Scheduler(slots: 2, context: 512, steps: options);
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted()).Select(scheduler.Find).ToList();
        var decoder = leases[0];
        await scheduler.Edit(decoder, new SequenceEdit(decoder.Sequence, 0, model.Tokens("Once upon a time"), DistributionRequest.Top(4)), default);
        await scheduler.Edit(decoder, SequenceEdit.Append(decoder.Sequence, [NextToken(decoder)], DistributionRequest.Top(4)), default);
        return (scheduler, decoder, leases[1]);
    }

    // the decoder's next row and the long prompt, posted while the scheduler thread is held, so they meet in one step
    private async Task<(Task<EditResult> Row, Task<EditResult> Prompt)> PostTogether(
        ModelScheduler scheduler, SlotLease decoder, SlotLease target, DistributionRequest promptRows, CancellationToken promptCancellation)
    {
        using var gate = new ManualResetEventSlim();
        var held = scheduler.OnSchedulerThread(() => gate.Wait(TimeSpan.FromSeconds(10)));
        var row = scheduler.Edit(decoder, SequenceEdit.Append(decoder.Sequence, [NextToken(decoder)], DistributionRequest.Top(4)), default);
        var prompt = scheduler.Edit(target, new SequenceEdit(target.Sequence, 0, LongPrompt(), promptRows), promptCancellation);
        gate.Set();
        await held;
        return (row, prompt);
    }

    private float[] FreshLogits(int[] prompt)
    {
        using var fresh = new ModelRunner(model.Model, new LlamaContextOptions { ContextSize = 512, MaxSequences = 1, Threads = 1 });
        return fresh.Apply([new SequenceEdit(fresh.Open(), 0, prompt, DistributionRequest.Full)])[0].Next.Logits.ToArray();
    }

    private static int NextToken(SlotLease lease) => lease.Sequence.Tokens[^1] % 200 + 10; // any valid next token: the text does not matter here

    private int[] LongPrompt()
    {
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog while the cat sleeps", 40));
        return model.Tokens(text)[..400];
    }
}
