using System.Collections.Concurrent;
using System.Diagnostics;
using Chorus.Llama;
using Chorus.Primitives;

namespace Chorus.Grains.Tests.Models;

/// <summary>
/// Chunked prefill on a real model: a long prompt goes in over several steps while a decoding sequence keeps getting a
/// token every step, the prompt's rows equal a one-batch prefill's, and a cancelled prefill stops between chunks with its
/// sequence still usable.
/// </summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class ChunkedPrefillTests(SchedulerModel model)
{
    // generous gathering, so a decoding loop slowed by a busy test machine still makes every step
    private static readonly StepOptions Chunked = new(PrefillStretch: 2, GatherSteps: 10);
    private static readonly StepOptions Whole = new(PrefillStretch: 0, GatherSteps: 10);

    [Fact]
    public async Task A_decoding_sequence_keeps_getting_tokens_while_a_long_prompt_prefills_beside_it()
    {
        var (chunkedTokens, chunkedRows) = await DecodeBesideLongPrefill(Chunked);
        var (wholeTokens, wholeRows) = await DecodeBesideLongPrefill(Whole);

        Assert.True(chunkedTokens >= 4, $"the decoding sequence got {chunkedTokens} tokens while the 400-token prompt prefilled in chunks");
        Assert.True(wholeTokens <= 2, $"without chunks the prompt takes one step, beside at most two decode steps; got {wholeTokens}");
        using var fresh = new ModelRunner(model.Model, new LlamaContextOptions { ContextSize = 512, MaxSequences = 1, Threads = 1 });
        var expected = fresh.Apply([new SequenceEdit(fresh.Open(), 0, LongPrompt(), DistributionRequest.Full)])[0].Next.Logits;
        foreach (var rows in new[] { chunkedRows, wholeRows })
            for (var t = 0; t < expected.Length; t++) Assert.Equal(expected[t], rows[t], 1e-3f);
    }

    [Fact]
    public async Task A_cancelled_prefill_stops_between_chunks_and_its_sequence_serves_the_next_edit_exactly()
    {
        using var scheduler = model.Scheduler(slots: 2, context: 512, steps: Chunked);
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted()).Select(scheduler.Find).ToList();
        var (decoder, target) = (leases[0], leases[1]);
        await scheduler.Edit(decoder, new SequenceEdit(decoder.Sequence, 0, model.Tokens("Once upon a time"), DistributionRequest.Top(4)), default);
        using var stop = new CancellationTokenSource();
        var decoded = 0;
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && decoder.Sequence.Length < 500)
            {
                await scheduler.Edit(decoder, SequenceEdit.Append(decoder.Sequence, [NextToken(decoder)], DistributionRequest.Top(4)), default);
                Interlocked.Increment(ref decoded);
            }
        });
        using var cancel = new CancellationTokenSource();
        var prefill = scheduler.Edit(target, new SequenceEdit(target.Sequence, 0, LongPrompt(), DistributionRequest.Top(4)), cancel.Token);
        var before = Volatile.Read(ref decoded);
        while (Volatile.Read(ref decoded) < before + 2 && !prefill.IsCompleted) await Task.Delay(1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prefill);
        await stop.CancelAsync();
        await loop;

        // the sequence holds the chunks that were decoded, exactly; the next edit rolls back and serves a fresh prompt
        Assert.True(target.Sequence.Length < LongPrompt().Length);
        var prompt = model.Tokens("To be, or not to be");
        var result = await scheduler.Edit(target, new SequenceEdit(target.Sequence, 0, prompt, DistributionRequest.Full), default);
        using var fresh = new ModelRunner(model.Model, new LlamaContextOptions { ContextSize = 512, MaxSequences = 1, Threads = 1 });
        var expected = fresh.Apply([new SequenceEdit(fresh.Open(), 0, prompt, DistributionRequest.Full)])[0].Next.Logits;
        for (var t = 0; t < expected.Length; t++) Assert.Equal(expected[t], result.Next.Logits[t], 1e-3f);
        Assert.Equal(prompt.Length, target.Sequence.Length);
        Assert.True(scheduler.Healthy);
    }

    // tokens the decoding sequence got between the long prompt's post and its prefill's end; and the prompt's next row
    private async Task<(int Tokens, float[] Next)> DecodeBesideLongPrefill(StepOptions steps)
    {
        using var scheduler = model.Scheduler(slots: 2, context: 512, steps: steps);
        var leases = (await Admissions.Ask(scheduler, Guid.NewGuid(), 2).Granted()).Select(scheduler.Find).ToList();
        var (decoder, target) = (leases[0], leases[1]);
        await scheduler.Edit(decoder, new SequenceEdit(decoder.Sequence, 0, model.Tokens("Once upon a time"), DistributionRequest.Top(4)), default);
        var done = new ConcurrentQueue<long>();
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && decoder.Sequence.Length < 500)
            {
                await scheduler.Edit(decoder, SequenceEdit.Append(decoder.Sequence, [NextToken(decoder)], DistributionRequest.Top(4)), default);
                done.Enqueue(Stopwatch.GetTimestamp());
            }
        });
        while (done.Count < 3) await Task.Delay(1); // the decoding loop is in step
        var posted = Stopwatch.GetTimestamp();
        var result = await scheduler.Edit(target, new SequenceEdit(target.Sequence, 0, LongPrompt(), DistributionRequest.Full), default);
        var finished = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await loop;
        return (done.Count(t => t > posted && t <= finished), result.Next.Logits.ToArray());
    }

    private static int NextToken(SlotLease lease) => lease.Sequence.Tokens[^1] % 200 + 10; // any valid next token: the text does not matter here

    private int[] LongPrompt()
    {
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog while the cat sleeps", 40));
        return model.Tokens(text)[..400];
    }
}
