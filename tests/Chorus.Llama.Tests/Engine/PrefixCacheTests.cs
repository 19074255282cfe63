using Chorus.Llama;

namespace Chorus.Llama.Tests.Engine;

/// <summary>
/// The runner's prefix cache on a real synthetic model: a new sequence that starts with a released one's tokens starts
/// from its KV, and what it returns equals a fresh prefill's.
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class PrefixCacheTests(SyntheticModelFixture models)
{
    // On this machine's CPU backend a reused prefix gives bitwise the fresh logits and log-probs whenever two or more
    // tokens are decoded after it; a lone last token goes through the matrix-vector kernel instead of the matrix one,
    // which sums in another order (measured: 9.5e-7). Other backends may tile by batch size, hence a tolerance.
    private const float Tolerance = 1e-5f;

    private const string A = "The quick brown fox jumps over the lazy dog while the farmer sleeps under the old oak tree, dreaming of rain";
    private const string B = " and of a harvest that would feed the village through the long winter ahead.";

    private ModelRunner NewRunner(bool cache, int sequences = 2, LlamaModel? model = null) =>
        new(model ?? models.Spm, new LlamaContextOptions { ContextSize = 256, MaxSequences = sequences, BatchSize = 512, Threads = 2 },
            prefixCache: cache ? new PrefixCacheOptions() : null);

    private int[] Tokens(string text, bool bos = true) => models.Spm.Vocabulary.Tokenize(text, addSpecial: bos);

    private static int[] Concat(int[] a, int[] b) => [.. a, .. b];

    [Theory]
    [InlineData(1)] // the new sequence takes over the released slot and its KV (no copy)
    [InlineData(2)] // the new sequence gets an empty slot and a copy of the released one's KV
    public void Reused_prefix_gives_the_logits_and_greedy_continuation_of_a_fresh_prefill(int sequences)
    {
        var a = Tokens(A);
        var ab = Concat(a, Tokens(B, bos: false));
        Assert.True(a.Length >= new PrefixCacheOptions().MinimumTokens);

        using var fresh = NewRunner(cache: false, sequences);
        var (freshNext, freshContinuation) = PrefillAndContinue(fresh, ab);

        using var cached = NewRunner(cache: true, sequences);
        var first = cached.Open();
        cached.Prefill(first, a, DistributionRequest.Full);
        cached.Release(first);
        Assert.Equal(1, cached.CachedPrefixes);
        var before = cached.PrefixStatistics;
        var (reusedNext, reusedContinuation) = PrefillAndContinue(cached, ab);

        var after = cached.PrefixStatistics;
        Assert.Equal(a.Length, after.HitTokens - before.HitTokens);
        Assert.Equal(ab.Length, after.PrefillTokens - before.PrefillTokens);
        AssertClose(freshNext, reusedNext);
        Assert.Equal(freshContinuation, reusedContinuation);
    }

    [Fact]
    public void A_prompt_the_cache_holds_whole_decodes_its_last_token_for_the_next_distribution()
    {
        var ab = Concat(Tokens(A), Tokens(B, bos: false));
        using var fresh = NewRunner(cache: false);
        var expected = PrefillAndContinue(fresh, ab).Next;
        using var cached = NewRunner(cache: true);
        var s = cached.Open();
        cached.Prefill(s, ab, DistributionRequest.Full);
        cached.Release(s);

        var again = cached.Open();
        var next = cached.Apply([new SequenceEdit(again, 0, ab, DistributionRequest.Full)])[0].Next;

        Assert.Equal(ab.Length - 1, cached.PrefixStatistics.HitTokens);
        Assert.Equal(ab, again.Tokens);
        AssertClose(expected, next.Logits.ToArray());
    }

    [Fact]
    public void Reused_prompt_log_probs_equal_a_fresh_prefills()
    {
        var a = Tokens(A);
        var ab = Concat(a, Tokens(B, bos: false));
        using var fresh = NewRunner(cache: false);
        var expected = fresh.Prefill(fresh.Open(), ab, DistributionRequest.Top(8)).TokenLogProbs;

        using var cached = NewRunner(cache: true);
        var s = cached.Open();
        cached.Prefill(s, a, DistributionRequest.Top(8)); // evidence computed for A, kept with its KV
        cached.Append(s, Tokens(" and", bos: false), DistributionRequest.Top(8)); // a generated token: no evidence for it
        cached.Release(s);
        var reused = cached.Prefill(cached.Open(), ab, DistributionRequest.Top(8)).TokenLogProbs;

        // the prefix stops one short of the kept log-probs: the first decoded row gives the next token's
        Assert.Equal(a.Length - 1, cached.PrefixStatistics.HitTokens);
        Assert.Equal(expected.Length, reused.Length);
        Assert.True(float.IsNaN(reused[0]));
        for (var i = 1; i < expected.Length; i++) Assert.Equal(expected[i], reused[i], Tolerance);
    }

    [Fact]
    public void An_evidence_prefill_is_not_served_from_a_prefix_whose_log_probs_were_never_computed()
    {
        var a = Tokens(A);
        var ab = Concat(a, Tokens(B, bos: false));
        using var fresh = NewRunner(cache: false);
        var expected = fresh.Prefill(fresh.Open(), ab, DistributionRequest.Top(8)).TokenLogProbs;

        using var cached = NewRunner(cache: true);
        var s = cached.Open();
        cached.Apply([new SequenceEdit(s, 0, a, DistributionRequest.Top(8))]); // no evidence asked
        cached.Release(s);
        var reused = cached.Prefill(cached.Open(), ab, DistributionRequest.Top(8)).TokenLogProbs;

        Assert.Equal(0, cached.PrefixStatistics.HitTokens);
        for (var i = 1; i < expected.Length; i++) Assert.Equal(expected[i], reused[i], Tolerance);
    }

    [Fact]
    public void A_prefill_asking_for_each_prompt_tokens_top_k_is_decoded_in_full()
    {
        var a = Tokens(A);
        var ab = Concat(a, Tokens(B, bos: false));
        using var cached = NewRunner(cache: true);
        var s = cached.Open();
        cached.Prefill(s, a, DistributionRequest.Top(8), positionsTopK: 4);
        cached.Release(s);

        var result = cached.Prefill(cached.Open(), ab, DistributionRequest.Top(8), positionsTopK: 4);

        Assert.Equal(0, cached.PrefixStatistics.HitTokens);
        Assert.All(result.Positions![1..], p => Assert.NotNull(p));
    }

    [Fact]
    public void With_every_slot_cached_a_new_sequence_takes_the_least_recently_used()
    {
        using var runner = NewRunner(cache: true, sequences: 3);
        string[] texts = [A, "Once upon a time in a land far away there lived a king who had three daughters and a dragon", "int main(void) { return printf(\"hello, world\\n\") > 0 ? 0 : 1; } // the classic first program, once more"];
        var prompts = texts.Select(t => Tokens(t)).ToArray();
        var sequences = prompts.Select(p =>
        {
            var s = runner.Open();
            runner.Prefill(s, p, DistributionRequest.Top(4));
            return s;
        }).ToArray();
        foreach (var i in new[] { 1, 0, 2 }) runner.Release(sequences[i]); // sequence 1's prefix is now the least recently used
        Assert.Equal(3, runner.CachedPrefixes);
        Assert.Equal(3, runner.FreeSequences);

        var next = runner.Open();
        Assert.Equal(sequences[1].Id, next.Id);
        runner.Prefill(next, Tokens("Something else entirely, which shares nothing with the others but the first token"), DistributionRequest.Top(4));
        runner.Release(next);

        var hits = runner.PrefixStatistics.HitTokens;
        var again = runner.Open();
        runner.Prefill(again, Concat(prompts[1], Tokens(" more", bos: false)), DistributionRequest.Top(4));
        Assert.True(runner.PrefixStatistics.HitTokens - hits <= 1, "the evicted prefix was served (at most the shared BOS may be)");
        runner.Release(again);

        hits = runner.PrefixStatistics.HitTokens;
        runner.Prefill(runner.Open(), Concat(prompts[2], Tokens(" more", bos: false)), DistributionRequest.Top(4));
        Assert.Equal(prompts[2].Length - 1, runner.PrefixStatistics.HitTokens - hits); // an evidence prefill: one short of the kept log-probs
    }

    [Fact]
    public void A_released_prefix_that_a_longer_one_contains_gives_its_slot_back()
    {
        var a = Tokens(A);
        var ab = Concat(a, Tokens(B, bos: false));
        using var runner = NewRunner(cache: true, sequences: 3);
        var first = runner.Open();
        runner.Prefill(first, a, DistributionRequest.Top(4));
        runner.Release(first);
        var second = runner.Open();
        runner.Prefill(second, ab, DistributionRequest.Top(4));
        runner.Release(second);

        Assert.Equal(1, runner.CachedPrefixes); // A alone answers nothing that A+B does not
        Assert.Equal(a.Length - 1, runner.PrefixStatistics.HitTokens);
    }

    [Fact]
    public void A_fork_of_a_sequence_that_claimed_a_cached_slot_starts_empty_and_decodes_like_a_fresh_one()
    {
        var ab = Concat(Tokens(A), Tokens(B, bos: false));
        using var fresh = NewRunner(cache: false);
        var expected = PrefillAndContinue(fresh, ab).Next;
        using var runner = NewRunner(cache: true, sequences: 2);
        foreach (var prompt in new[] { ab, Tokens("Once upon a time in a land far away there lived a king who had three daughters") })
        {
            var s = runner.Open();
            runner.Prefill(s, prompt, DistributionRequest.Top(4));
            runner.Release(s);
        }
        Assert.Equal(2, runner.CachedPrefixes);

        var claimed = runner.Open(); // takes the least recently used cached slot (ab's), still holding its KV
        var fork = runner.Fork(claimed);
        Assert.Equal(-1, runner.Context.MaxPosition(claimed.Id));
        Assert.Equal(-1, runner.Context.MaxPosition(fork.Id));
        var next = runner.Apply([new SequenceEdit(fork, 0, ab, DistributionRequest.Full)])[0].Next;
        AssertClose(expected, next.Logits.ToArray());
    }

    [Fact]
    public void Off_it_frees_the_kv_of_a_released_sequence_and_only_counts_prefills()
    {
        var a = Tokens(A);
        using var runner = NewRunner(cache: false, sequences: 1);
        var s = runner.Open();
        runner.Prefill(s, a, DistributionRequest.Top(4));
        runner.Release(s);
        Assert.Equal(-1, runner.Context.MaxPosition(s.Id));
        runner.Prefill(runner.Open(), a, DistributionRequest.Top(4));
        Assert.Equal((0L, 2L * a.Length), runner.PrefixStatistics);
        Assert.False(runner.PrefixCacheEnabled);
    }

    private static (float[] Next, int[] Continuation) PrefillAndContinue(ModelRunner runner, int[] prompt)
    {
        var s = runner.Open();
        var next = runner.Apply([new SequenceEdit(s, 0, prompt, DistributionRequest.Full)])[0].Next;
        var logits = next.Logits.ToArray();
        var continuation = new int[8];
        for (var i = 0; i < continuation.Length; i++)
        {
            continuation[i] = ArgMax(next.Logits);
            next = runner.Append(s, [continuation[i]], DistributionRequest.Full);
        }
        runner.Release(s);
        return (logits, continuation);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= Tolerance, $"logits differ by up to {worst}");
    }
}
