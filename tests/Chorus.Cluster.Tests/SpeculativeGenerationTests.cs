using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Speculative ensembling through the three-silo cluster (random synthetic members: drafts are often rejected, so
/// roll-backs are exercised on every member): greedy output equals the plain ensemble's token for token.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SpeculativeGenerationTests(ClusterFixture fixture)
{
    private const string Prompt = "Once upon a time, in a cluster far away,";

    [Fact]
    public async Task Greedy_speculation_equals_the_plain_ensemble_for_every_draft_length_from_1_to_8()
    {
        var plain = await Tokens(Requests.Greedy(Prompt, 24, "uniform", "a", "b", "c"));
        Assert.Equal(24, plain.Count);
        for (var k = 1; k <= 8; k++)
        {
            var (tokens, finished, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 24, "uniform", "a", "b", "c") with { Speculate = k });
            Assert.Equal(plain, tokens.Select(t => t.TokenId).ToList());
            Assert.Equal(Enumerable.Range(0, 24), tokens.Select(t => t.Index));
            Assert.Equal("max_tokens", finished.Reason);
            Assert.True(finished.Rounds > 0 && finished.AcceptedTokens <= finished.DraftedTokens, $"k={k}: {finished.AcceptedTokens}/{finished.DraftedTokens} in {finished.Rounds}");
            Assert.Equal(24, finished.Rounds + finished.AcceptedTokens); // every round settles its accepted drafts plus one token
            Assert.InRange(finished.PipelinedRounds, 0, finished.Rounds);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task Greedy_rounds_whose_drafts_are_kept_start_with_drafts_made_ahead_and_equal_the_plain_run(int k)
    {
        // one member drafting for itself: every draft and every bonus is kept, so every round after the first is pipelined
        var plain = await Tokens(Requests.Greedy(Prompt, 40, "uniform", "a"));
        var (tokens, finished, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 40, "uniform", "a") with { Speculate = k });
        Assert.Equal(plain, tokens.Select(t => t.TokenId).ToList());
        Assert.Equal(finished.DraftedTokens, finished.AcceptedTokens);
        Assert.True(finished.PipelinedRounds >= finished.Rounds - 2, $"k={k}: {finished.PipelinedRounds} of {finished.Rounds} rounds pipelined");
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task A_drafting_member_guesses_its_first_draft_for_free_in_every_plain_round_and_a_lone_member_always_right()
    {
        // random members: the main member's drafts are mostly rejected, so drafting pauses and the plain rounds guess
        var trio = Requests.Greedy(Prompt, 48, "uniform", "a", "b", "c") with { Speculate = 4 };
        var (_, disagreed, _) = await Requests.Collect(fixture.Client, trio);
        Assert.True(disagreed.PlainRounds > 0, "drafting never paused");
        Assert.Equal(disagreed.PlainRounds, disagreed.FreeGuesses);
        Assert.InRange(disagreed.FreeGuessesKept, 0, disagreed.FreeGuesses);
        // one member drafting for itself: its arg-max is the fused token, so every guess is right (41 = 8 full rounds of
        // 4 drafts and a bonus, then one plain round for the last token)
        var (tokens, alone, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 41, "uniform", "a") with { Speculate = 4 });
        Assert.Equal(41, tokens.Count);
        Assert.True(alone.FreeGuesses >= 1, $"{alone.PlainRounds} plain rounds, {alone.FreeGuesses} guesses");
        Assert.Equal(alone.FreeGuesses, alone.FreeGuessesKept);
        // prompt lookup guesses only where the text offers a match
        var (_, lookup, _) = await Requests.Collect(fixture.Client, trio with { Drafter = "ngram" });
        Assert.InRange(lookup.FreeGuesses, 0, lookup.PlainRounds);
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Ending_a_pipelined_generation_early_settles_the_draft_ahead_and_frees_every_slot()
    {
        // one member drafting for itself: a draft ahead is in flight whenever a round ends the generation
        var request = Requests.Greedy(Prompt, 60, "uniform", "a") with { Speculate = 4 };
        var (plain, first, _) = await Requests.Collect(fixture.Client, request with { Speculate = 0 });
        var stop = first.Text.Substring(first.Text.Length / 2, 2);
        var (_, stopped, _) = await Requests.Collect(fixture.Client, request with { Stop = [stop] });
        Assert.Equal("stop", stopped.Reason);
        Assert.Equal(first.Text[..first.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);

        using var cts = new CancellationTokenSource();
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid()).Generate(request, cts.Token).WithCancellation(cts.Token))
                if (e is GeneratedToken && ++received == 7) await cts.CancelAsync();
        });

        var (_, timed, _) = await Requests.Collect(fixture.Client, request with { MaxTokens = 480, DeadlineMilliseconds = 30 });
        Assert.Contains(timed.Reason, new[] { "deadline", "max_tokens", "length" });
        Assert.True(plain.Count > 0);
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Greedy_pipelining_with_rejected_drafts_equals_the_plain_run_and_frees_every_slot()
    {
        // random members and a drafter that is not a member: drafts made ahead are mostly discarded and rolled back
        var plain = await Tokens(Requests.Greedy(Prompt, 30, "uniform", "a", "b"));
        foreach (var drafter in new string?[] { null, "c" })
        {
            var (tokens, finished, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 30, "uniform", "a", "b") with { Speculate = 3, Drafter = drafter });
            Assert.Equal(plain, tokens.Select(t => t.TokenId).ToList());
            Assert.InRange(finished.PipelinedRounds, 0, finished.Rounds);
        }
        foreach (var model in new[] { "a", "b", "c" })
            Assert.Equal(0, (await SlotsEventually(model, s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Theory]
    [InlineData("packllm-sim", null, 3)]
    [InlineData("uniform", "c", 4)] // a drafter that is not a member (on another silo)
    [InlineData("top1-ppl", "b", 6)] // a member other than main drafts
    public async Task Greedy_speculation_equals_the_plain_ensemble_with_any_drafter(string method, string? drafter, int k)
    {
        var plain = await Tokens(Requests.Greedy(Prompt, 20, method, "a", "b"));
        var speculative = await Tokens(Requests.Greedy(Prompt, 20, method, "a", "b") with { Speculate = k, Drafter = drafter });
        Assert.Equal(plain, speculative);
        if (drafter is "c") Assert.Equal(0, (await SlotsEventually("c", s => s.ActiveSequences == 0)).ActiveSequences);
        Assert.Equal(0, (await SlotsEventually("a", s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Greedy_speculation_across_vocabularies_equals_the_plain_ensemble(int k)
    {
        var plain = await Tokens(Requests.Greedy(Prompt, 20, "unite", "a", "g"));
        var speculative = await Tokens(Requests.Greedy(Prompt, 20, "unite", "a", "g") with { Speculate = k });
        Assert.Equal(plain, speculative);
    }

    [Theory]
    [InlineData("uniform", "a,b,c", 4)]
    [InlineData("unite", "a,g", 3)] // across vocabularies: g is verified on the drafted text
    [InlineData("packllm-sim", "a,b", 8)]
    public async Task Greedy_prompt_lookup_equals_the_plain_ensemble(string method, string members, int k)
    {
        // the synthetic members' text never repeats itself, so prompt lookup rarely proposes anything here: this checks
        // exactness and the plain-step fallback (the zoo's tests and the unit tests check drafts that are kept)
        var request = Requests.Greedy(Prompt, 48, method, members.Split(','));
        var plain = await Tokens(request);
        var (tokens, finished, _) = await Requests.Collect(fixture.Client, request with { Speculate = k, Drafter = "ngram" });
        Assert.Equal(plain, tokens.Select(t => t.TokenId).ToList());
        Assert.Equal(tokens.Count, finished.Rounds + finished.AcceptedTokens);
        foreach (var model in members.Split(','))
            Assert.Equal(0, (await SlotsEventually(model, s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Sampled_prompt_lookup_repeats_with_its_seed_and_frees_every_slot()
    {
        var request = Requests.Greedy(Prompt, 30, "uniform", "a", "b") with
        {
            Sampling = new SamplingSpec(Temperature: 0.7f, Seed: 9), Speculate = 4, Drafter = "ngram",
            Messages = [new ChatTurn("user", "Say the same thing twice, twice.")], Prompt = "",
        };
        var first = await Requests.Collect(fixture.Client, request);
        var second = await Requests.Collect(fixture.Client, request);
        Assert.Equal(first.Tokens.Select(t => t.TokenId), second.Tokens.Select(t => t.TokenId));
        Assert.True(first.Finished.Reason is "max_tokens" or "eog", first.Finished.Reason);
        foreach (var model in new[] { "a", "b" })
            Assert.Equal(0, (await SlotsEventually(model, s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Fact]
    public async Task Sampled_speculation_runs_to_the_limit_and_frees_every_slot()
    {
        var request = Requests.Greedy(Prompt, 30, "uniform", "a", "b") with
        {
            Sampling = new SamplingSpec(Temperature: 0.9f, TopP: 0.95f, Seed: 5), Speculate = 4, Drafter = "c",
        };
        var (tokens, finished, _) = await Requests.Collect(fixture.Client, request);
        Assert.True(finished.Reason is "max_tokens" or "eog", finished.Reason);
        Assert.Equal(tokens.Count, finished.CompletionTokens);
        // a round settles its accepted drafts and one token of the fused distribution's own (an end-of-generation ends it early)
        if (finished.Reason == "max_tokens") Assert.Equal(tokens.Count, finished.Rounds + finished.AcceptedTokens);
        else Assert.True(tokens.Count <= finished.Rounds + finished.AcceptedTokens);
        foreach (var model in new[] { "a", "b", "c" })
            Assert.Equal(0, (await SlotsEventually(model, s => s.ActiveSequences == 0)).ActiveSequences);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(33)]
    public async Task An_out_of_range_draft_length_is_refused(int k)
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => Tokens(Requests.Greedy(Prompt, 4, "uniform", "a", "b") with { Speculate = k }));
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public async Task A_drafter_of_another_vocabulary_is_refused()
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => Tokens(Requests.Greedy(Prompt, 4, "uniform", "a", "b") with { Speculate = 2, Drafter = "g" }));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("vocabulary", e.Message, StringComparison.Ordinal);
    }

    private async Task<List<int>> Tokens(GenerationRequest request) =>
        (await Requests.Collect(fixture.Client, request)).Tokens.Select(t => t.TokenId).ToList();

    private async Task<SlotUsage> SlotsEventually(string model, Func<SlotUsage, bool> condition)
    {
        var grain = fixture.Client.GetGrain<IModelGrain>(model);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        SlotUsage slots;
        while (!condition(slots = await grain.Slots()) && DateTime.UtcNow < deadline) await Task.Delay(50);
        return slots;
    }
}
