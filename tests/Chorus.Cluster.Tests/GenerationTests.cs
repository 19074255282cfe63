using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class GenerationTests(ClusterFixture fixture)
{
    private const string Prompt = "Once upon a time, in a cluster far away,";

    [Theory]
    [InlineData("uniform")]
    [InlineData("packllm-sim")]
    [InlineData("top1-ppl")]
    public async Task A_greedy_fused_generation_through_the_cluster_equals_the_direct_computation(string method)
    {
        var (tokens, finished, started) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 16, method, "a", "b", "c"));
        var expected = DirectFusion.GreedyTokens(method, Prompt, 16, "a", "b", "c");
        Assert.Equal(expected, tokens.Select(t => t.TokenId).ToList());
        Assert.Equal(3, started.Members.Length);
        Assert.Equal(new[] { "a", "b", "c" }.Select(fixture.SiloOf), started.Members.Select(m => m.Silo)); // members ran on their own silos
        Assert.Equal(expected.Count == 16 ? "max_tokens" : "eog", finished.Reason);
        Assert.Equal(tokens.Count, finished.CompletionTokens);
    }

    [Theory]
    [InlineData("uniform", false)]
    [InlineData("packllm-sim", true)]
    public async Task Prompt_evidence_is_computed_only_for_methods_that_read_it(string method, bool reads)
    {
        var (_, _, started) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 2, method, "a", "b", "c"));
        Assert.All(started.Members, m =>
        {
            Assert.True(m.PromptTokens > 1, $"{m.Model}: {m.PromptTokens} prompt tokens");
            Assert.Equal(reads, double.IsFinite(m.PromptPerplexity));
        });
    }

    [Fact]
    public async Task Weights_are_reported_per_step_and_sum_to_one_for_ensembles()
    {
        var (tokens, _, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 4, "packllm-sim", "a", "b", "c"));
        Assert.NotEmpty(tokens);
        foreach (var t in tokens)
        {
            Assert.NotNull(t.Weights);
            Assert.Equal(3, t.Weights!.Count);
            Assert.Equal(1.0, t.Weights.Values.Sum(), 3);
        }
    }

    [Fact]
    public async Task Cancelling_mid_stream_frees_the_sequences_on_every_member()
    {
        using var cts = new CancellationTokenSource();
        var received = 0;
        var request = Requests.Greedy(Prompt, 200, "uniform", "a", "b", "c");
        var session = fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in session.Generate(request, cts.Token).WithCancellation(cts.Token))
            {
                if (e is GeneratedToken && ++received == 3) await cts.CancelAsync();
            }
        });
        Assert.Equal(3, received);
        foreach (var model in new[] { "a", "b", "c" })
        {
            var slots = await SlotsEventually(model, s => s.ActiveSequences == 0);
            Assert.Equal(0, slots.ActiveSequences);
        }
    }

    [Fact]
    public async Task A_deadline_ends_the_generation_with_reason_deadline_and_frees_slots()
    {
        var request = Requests.Greedy(Prompt, 4000, "uniform", "a", "b") with { DeadlineMilliseconds = 300 };
        var (_, finished, _) = await Requests.Collect(fixture.Client, request);
        Assert.Equal("deadline", finished.Reason);
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Stop_strings_end_the_generation_and_are_not_emitted()
    {
        var (tokens, first, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 24, "uniform", "a", "b"));
        Assert.True(first.Text.Length > 4, "need some generated text to pick a stop string from");
        var stop = first.Text.Substring(first.Text.Length / 2, 2);
        var (_, stopped, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 24, "uniform", "a", "b") with { Stop = [stop] });
        Assert.Equal("stop", stopped.Reason);
        Assert.Equal(first.Text[..first.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.NotEmpty(tokens);
    }

    [Fact]
    public async Task Heterogeneous_members_fuse_with_unite_and_follow_the_shared_text()
    {
        var request = Requests.Greedy(Prompt, 12, "unite", "a", "g") with { ShowMemberTokens = true };
        var (tokens, finished, started) = await Requests.Collect(fixture.Client, request);
        Assert.Equal(12, tokens.Count + (finished.Reason == "eog" ? 12 - tokens.Count : 0));
        Assert.All(tokens, t => Assert.InRange(t.TokenId, 0, 31999)); // chosen in the main (llama-spm) vocabulary
        Assert.All(tokens, t => Assert.True(t.MemberTokens!["g"].Length >= 0));
        Assert.Equal("g", started.Members[1].Model);
        var gpt2 = fixture.Client.GetGrain<IModelGrain>("g");
        var (ids, _) = await gpt2.Tokenize(Prompt + finished.Text, addSpecial: true);
        Assert.True(ids.Length > 0);
    }

    [Fact]
    public async Task A_same_vocabulary_method_over_different_vocabularies_is_refused()
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 4, "proxy-tuning", "a", "g", "b")));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("share one vocabulary", e.Message);
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Sixteen_concurrent_generations_equal_the_sequential_ones_and_share_batches()
    {
        var prompts = Enumerable.Range(0, 16).Select(i => $"Story number {i}: the {(i % 2 == 0 ? "cat" : "dog")} said").ToArray();
        var sequential = new List<List<int>>();
        foreach (var p in prompts.Take(4))
            sequential.Add((await Requests.Collect(fixture.Client, Requests.Greedy(p, 10, "uniform", "a", "b"))).Tokens.Select(t => t.TokenId).ToList());
        var before = await fixture.Client.GetGrain<IModelGrain>("a").Slots();

        var concurrent = await Task.WhenAll(prompts.Select(p => Requests.Collect(fixture.Client, Requests.Greedy(p, 10, "uniform", "a", "b"))));
        for (var i = 0; i < 4; i++) Assert.Equal(sequential[i], concurrent[i].Tokens.Select(t => t.TokenId).ToList());
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(concurrent[i % 2].Tokens.Count > 0, concurrent[i].Tokens.Count > 0);
        var after = await fixture.Client.GetGrain<IModelGrain>("a").Slots();
        Assert.True(after.BatchedSteps > before.BatchedSteps, "concurrent sessions' steps were never decoded together");
        Assert.Equal(0, after.ActiveSequences);
    }

    [Fact]
    public async Task Score_reports_fused_and_member_perplexities()
    {
        var text = string.Concat(Enumerable.Repeat("The river ran quietly past the old mill, and the miller slept. ", 4));
        var result = await fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid())
            .Score(new ScoreRequest(new MemberSelection(null, ["a", "b"]), "uniform", [], text));
        Assert.Equal("uniform", result.Method);
        Assert.True(result.Tokens > 10);
        Assert.True(double.IsFinite(result.Perplexity) && result.Perplexity > 1);
        Assert.Equal(2, result.Members.Length);
        Assert.All(result.Members, m => Assert.True(double.IsFinite(m.Perplexity) && m.Tokens == result.Tokens, $"{m.Model}: {m.Tokens} tokens"));
        Assert.Equal(0.5, result.Members[0].Weight, 3);
        // one vocabulary: every score covers the same bytes, and bits per byte = mean NLL · tokens / ln 2 / bytes
        Assert.All(result.Members.Select(m => (m.Bytes, m.MeanNll, m.Tokens, m.BitsPerByte)).Prepend((result.Bytes, result.MeanNll, result.Tokens, result.BitsPerByte)), s =>
        {
            Assert.Equal(result.Bytes, s.Bytes);
            Assert.True(double.IsFinite(s.BitsPerByte), $"bits per byte {s.BitsPerByte}");
            Assert.Equal(s.MeanNll * s.Tokens / Math.Log(2) / s.Bytes, s.BitsPerByte, 9);
        });
    }

    // Slot release happens when the session's stream is torn down: wait for it, bounded.
    private async Task<SlotUsage> SlotsEventually(string model, Func<SlotUsage, bool> condition)
    {
        var grain = fixture.Client.GetGrain<IModelGrain>(model);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        SlotUsage slots;
        while (!condition(slots = await grain.Slots()) && DateTime.UtcNow < deadline) await Task.Delay(50);
        return slots;
    }
}
