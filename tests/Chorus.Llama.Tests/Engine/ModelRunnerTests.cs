using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Llama.Tests.Engine;

/// <summary>The model runner on a real synthetic GGUF through the real llama.cpp engine.</summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class ModelRunnerTests(SyntheticModelFixture models)
{
    private const float Tolerance = 2e-3f;

    private ModelRunner NewRunner(int sequences = 4, int context = 256) =>
        new(models.Spm, new LlamaContextOptions { ContextSize = context, MaxSequences = sequences, BatchSize = 512, Threads = 2, FullPrecisionCache = true });

    private int[] Prompt(string text) => models.Spm.Vocabulary.Tokenize(text, addSpecial: true);

    [Fact]
    public void Identical_inputs_give_identical_logits()
    {
        using var runner = NewRunner();
        var tokens = Prompt("The quick brown fox jumps over the lazy dog");
        var a = runner.Open();
        var b = runner.Open();
        var first = runner.Prefill(a, tokens, DistributionRequest.Full).Next;
        var second = runner.Prefill(b, tokens, DistributionRequest.Full).Next;
        Assert.Equal(first.Logits.ToArray(), second.Logits.ToArray());
        Assert.True(float.IsFinite(first.LogSumExp));
    }

    [Fact]
    public void Decodes_agree_across_thread_pool_sizes_and_polling()
    {
        var tokens = Prompt("The quick brown fox jumps over the lazy dog");
        float[] Logits(int threads, int polling)
        {
            // a context per setting, disposed before the next: each frees its pool after the context that holds it
            using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 256, Threads = threads, ThreadPolling = polling, FullPrecisionCache = true });
            var s = runner.Open();
            runner.Prefill(s, tokens[..^3], DistributionRequest.Full);
            runner.Append(s, tokens[^3..^1], DistributionRequest.Full);
            return runner.Append(s, tokens[^1..], DistributionRequest.Full).Logits.ToArray();
        }
        var single = Logits(1, 0);
        AssertClose(single, Logits(2, 0));
        AssertClose(single, Logits(2, 50));
        AssertClose(single, Logits(4, 100)); // more threads than cores: the pool still completes every decode
    }

    [Fact]
    public void Batched_step_of_many_sequences_equals_separate_decodes()
    {
        using var runner = NewRunner(sequences: 4);
        string[] texts = ["Once upon a time", "int main(void) {", "To be, or not to be", "The capital of France is"];
        var separate = new List<float[]>();
        foreach (var text in texts)
        {
            var s = runner.Open();
            var t = Prompt(text);
            runner.Prefill(s, t[..^1], DistributionRequest.Full);
            separate.Add(runner.Append(s, t[^1..], DistributionRequest.Full).Logits.ToArray());
            runner.Release(s);
        }
        var work = new List<SequenceEdit>();
        foreach (var text in texts)
        {
            var s = runner.Open();
            var t = Prompt(text);
            runner.Prefill(s, t[..^1], DistributionRequest.Full);
            work.Add(SequenceEdit.Append(s, t[^1..], DistributionRequest.Full));
        }
        var callsBefore = runner.DecodeStatistics.DecodeCalls;
        var batched = runner.Apply(work).Select(r => r.Next).ToList();
        Assert.Equal(callsBefore + 1, runner.DecodeStatistics.DecodeCalls); // one llama_decode for all four
        for (var i = 0; i < texts.Length; i++)
            AssertClose(separate[i], batched[i].Logits);
    }

    [Fact]
    public void Edits_longer_than_the_batch_all_finish_even_when_a_short_one_after_them_finishes_first()
    {
        // a batch of 80: the long prompt goes in whole attention tiles (65 rows), which leaves room for the short one
        // behind it, so the short one is done after the first decode while the long one still has rows to go
        using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 256, MaxSequences = 2, BatchSize = 80, Threads = 2, FullPrecisionCache = true });
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 12));
        var longPrompt = Prompt(text)[..100];
        var shortPrompt = Prompt("Once upon a time");
        Assert.True(shortPrompt.Length <= 80 - ModelRunner.ChunkRows - 1);
        float[] Alone(int[] tokens)
        {
            using var fresh = NewRunner(sequences: 1);
            return fresh.Prefill(fresh.Open(), tokens, DistributionRequest.Full).Next.Logits.ToArray();
        }

        var results = runner.Apply([
            new SequenceEdit(runner.Open(), 0, longPrompt, DistributionRequest.Full),
            new SequenceEdit(runner.Open(), 0, shortPrompt, DistributionRequest.Full)]);

        AssertClose(Alone(longPrompt), results[0].Next.Logits);
        AssertClose(Alone(shortPrompt), results[1].Next.Logits);
    }

    [Fact]
    public void A_prompt_the_budget_would_leave_a_tail_of_below_a_tile_goes_whole_and_a_longer_one_in_tiles()
    {
        // beside a decode row, with a step budget of the decode row and one chunk (65 rows): a prompt 35 rows over it
        // goes whole in that step (the tail alone would attend row by row in a step of its own); one 75 rows over it is
        // chunked in tiles as before
        using var runner = NewRunner(sequences: 3);
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 20));
        var decoding = runner.Open();
        runner.Prefill(decoding, Prompt("Once upon a time"), DistributionRequest.Full);
        var budget = 1 + ModelRunner.ChunkRows + 1;
        (int Rows, int Sequences, bool Done) StepBeside(int[] prompt, out EditProgress edit)
        {
            edit = runner.Begin(new SequenceEdit(runner.Open(), 0, prompt, DistributionRequest.Full));
            var row = runner.Begin(SequenceEdit.Append(decoding, [decoding.Tokens[^1]], DistributionRequest.Top(4)));
            var (rows, sequences) = runner.Step([row, edit], budget);
            Assert.True(row.IsDone);
            return (rows, sequences, edit.IsDone);
        }

        var near = Prompt(text)[..(ModelRunner.ChunkRows + 1 + 35)];
        Assert.Equal((1 + near.Length, 2, true), StepBeside(near, out var nearEdit));
        using (var fresh = NewRunner(sequences: 1))
            AssertClose(fresh.Prefill(fresh.Open(), near, DistributionRequest.Full).Next.Logits.ToArray(), nearEdit.Result().Next.Logits);

        var far = Prompt(text)[..(ModelRunner.ChunkRows + 1 + ModelRunner.TailRows + 11)];
        Assert.Equal((1 + ModelRunner.ChunkRows + 1, 2, false), StepBeside(far, out var farEdit));
        Assert.Equal(far.Length - ModelRunner.ChunkRows - 1, farEdit.Remaining);
    }

    [Fact]
    public void Prefill_log_probs_equal_step_by_step_decoding()
    {
        using var runner = NewRunner();
        var tokens = Prompt("Chorus fuses several language models token by token.");
        var seq = runner.Open();
        var prefill = runner.Prefill(seq, tokens, DistributionRequest.Full);
        Assert.True(float.IsNaN(prefill.TokenLogProbs[0]));

        var step = runner.Open();
        var dist = runner.Append(step, tokens[..1], DistributionRequest.Full);
        for (var i = 1; i < tokens.Length; i++)
        {
            Assert.True(dist.TryGetLogProb(tokens[i], out var expected));
            Assert.InRange(prefill.TokenLogProbs[i], expected - Tolerance, expected + Tolerance);
            dist = runner.Append(step, tokens.AsSpan(i, 1), DistributionRequest.Full);
        }
        AssertClose(dist.Logits.ToArray(), prefill.Next.Logits);
    }

    [Fact]
    public void Truncate_and_redecode_reproduces_the_logits()
    {
        using var runner = NewRunner();
        var tokens = Prompt("Rollback must be exact: the cache forgets what was removed.");
        var seq = runner.Open();
        var half = tokens.Length / 2;
        runner.Prefill(seq, tokens[..half], DistributionRequest.Full);
        var original = runner.Append(seq, tokens[half..], DistributionRequest.Full).Logits.ToArray();

        // go somewhere else, then roll back and take the original path again
        runner.Truncate(seq, half);
        Assert.Equal(half, seq.Length);
        Assert.Equal(half - 1, runner.Context.MaxPosition(seq.Id));
        runner.Append(seq, Prompt("a completely different continuation")[1..], DistributionRequest.Top(4));
        runner.Truncate(seq, half);
        var again = runner.Append(seq, tokens[half..], DistributionRequest.Full).Logits;
        AssertClose(original, again);
    }

    [Fact]
    public void Fork_shares_the_prefix_and_diverges_independently()
    {
        using var runner = NewRunner();
        var tokens = Prompt("shared prefix of two continuations");
        var a = runner.Open();
        runner.Prefill(a, tokens, DistributionRequest.Full);
        var b = runner.Fork(a);
        Assert.Equal(a.Tokens, b.Tokens);
        var next = models.Spm.Vocabulary.Tokenize(" left");
        var fromA = runner.Append(a, next, DistributionRequest.Full).Logits.ToArray();
        var fromB = runner.Append(b, next, DistributionRequest.Full).Logits.ToArray();
        AssertClose(fromA, fromB);
    }

    [Fact]
    public void Top_k_distribution_is_exact_for_its_tokens()
    {
        using var runner = NewRunner();
        var seq = runner.Open();
        var full = runner.Prefill(seq, Prompt("hello world"), DistributionRequest.Full).Next;
        var top = full.ToTopK(10);
        Assert.Equal(10, top.TopTokens.Length);
        Assert.Equal(full.ArgMax(), top.TopTokens[0]);
        for (var i = 0; i < 10; i++)
        {
            full.TryGetLogProb(top.TopTokens[i], out var lp);
            Assert.Equal(lp, top.TopLogProbs[i], 5);
        }
        Assert.InRange(top.TailMass, 0f, 1f);
    }

    [Fact]
    public void Slots_are_limited_and_released()
    {
        using var runner = NewRunner(sequences: 2);
        var a = runner.Open();
        var b = runner.Open();
        Assert.Throws<NoFreeSequenceException>(() => runner.Open());
        runner.Prefill(a, Prompt("some text"), DistributionRequest.Top(1));
        runner.Release(a);
        Assert.Equal(-1, runner.Context.MaxPosition(a.Id)); // KV cache of the slot is empty again
        Assert.Equal(1, runner.ActiveSequences);
        var c = runner.Open();
        Assert.Equal(a.Id, c.Id);
        runner.Release(b);
        runner.Release(c);
        Assert.Equal(0, runner.ActiveSequences);
    }

    [Fact]
    public void A_text_longer_than_the_context_is_refused_and_the_runner_keeps_working()
    {
        using var runner = NewRunner(sequences: 1, context: 256);
        var seq = runner.Open();
        var longText = string.Join(' ', Enumerable.Repeat("word", 400));
        var e = Assert.Throws<ContextOverflowException>(() => runner.Prefill(seq, Prompt(longText), DistributionRequest.Full));
        Assert.Contains("do not fit in the context of 256", e.Message);
        Assert.Equal(0, seq.Length);
        var ok = runner.Prefill(seq, Prompt("short"), DistributionRequest.Top(1));
        Assert.True(float.IsFinite(ok.Next.LogSumExp));
    }

    [Fact]
    public void An_empty_text_is_refused_with_a_clear_message()
    {
        using var runner = NewRunner(sequences: 1);
        var seq = runner.Open();
        var e = Assert.Throws<ArgumentException>(() => runner.Prefill(seq, [], DistributionRequest.Full));
        Assert.Contains("no tokens", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Append(seq, [models.Spm.Vocabulary.Count + 5], DistributionRequest.Full));
    }

    [Fact]
    public void A_cancelled_token_stops_before_decoding()
    {
        using var runner = NewRunner(sequences: 1);
        var seq = runner.Open();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => runner.Prefill(seq, Prompt("cancel me"), DistributionRequest.Full, cancellationToken: cts.Token));
        Assert.Equal(0, seq.Length);
    }

    [Fact]
    public void Cancelling_mid_decode_aborts_llama_decode_and_leaves_the_sequence_clean()
    {
        using var runner = new ModelRunner(models.Medium, new LlamaContextOptions { ContextSize = 1024, BatchSize = 1024, Threads = 2 });
        var seq = runner.Open();
        var tokens = Enumerable.Range(0, 1000).Select(i => 300 + i % 5000).ToArray();
        using var cts = new CancellationTokenSource();
        // cancel as soon as llama.cpp is computing (its abort callback has been polled once): the next poll must abort
        var before = Interlocked.Read(ref LlamaContext.AbortChecks);
        // a dedicated thread: a thread-pool task could wait for thread injection until the decode is over
        var canceller = new Thread(() =>
        {
            while (Interlocked.Read(ref LlamaContext.AbortChecks) == before) Thread.SpinWait(10);
            cts.Cancel();
        });
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => runner.Prefill(seq, tokens, DistributionRequest.Full, cancellationToken: cts.Token));
        canceller.Join();
        Assert.Equal(0, seq.Length);
        Assert.Equal(-1, runner.Context.MaxPosition(seq.Id)); // partial micro-batches were rolled back
        var after = runner.Prefill(seq, tokens, DistributionRequest.Top(1)); // the context still works
        Assert.Equal(tokens.Length, seq.Length);
        Assert.True(float.IsFinite(after.Next.LogSumExp));
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= Tolerance, $"max |Δlogit| = {worst}");
    }
}
