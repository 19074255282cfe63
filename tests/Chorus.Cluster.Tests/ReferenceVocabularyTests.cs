using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// PackLLM's <c>reference=best</c> through real silos with a two-vocabulary pack (a: llama-spm, g: gpt-2): the
/// lowest-loss member's vocabulary is fused in whichever member is main, the score covers the same span in its tokens,
/// a generation streams its tokens, and every sequence is freed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReferenceVocabularyTests(ClusterFixture fixture)
{
    private const string Text = "The river ran quietly past the old mill, and the miller slept while the water turned the wheel all night long.";

    private Task<ScoreResult> Score(string reference, params string[] models) =>
        fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid())
            .Score(new ScoreRequest(new MemberSelection(null, models), "packllm-sim", new() { ["reference"] = reference }, Text));

    [Fact]
    public async Task Best_picks_the_same_member_in_either_order_and_scores_the_same_span()
    {
        var orders = new[] { new[] { "a", "g" }, new[] { "g", "a" } };
        var best = new ScoreResult[2];
        var main = new ScoreResult[2];
        for (var i = 0; i < 2; i++) // one at a time: concurrent sessions batch their decodes, which moves the last digits
        {
            best[i] = await Score("best", orders[i]);
            main[i] = await Score("main", orders[i]);
        }
        Assert.All(main, r => Assert.Null(r.Diagnostics));
        // the lowest-loss member is the same whichever is main: in one order it is main (nothing changes), in the other not
        var moved = best.Select(r => r.Diagnostics?.Keys.Single()).ToArray();
        Assert.Single(moved, m => m is null);
        var other = Array.FindIndex(moved, m => m is not null);
        var same = 1 - other;
        Assert.Equal($"reference.{orders[other][1]}", moved[other]); // the member that is not main there
        Assert.Equal(orders[same][0], orders[other][1]);
        Assert.Equal(main[same].BitsPerByte, best[same].BitsPerByte, 6);
        Assert.Equal(main[same].Tokens, best[same].Tokens);
        // the moved score counts the reference's tokens over the very same bytes
        Assert.All(best.Concat(main), r => Assert.Equal(main[0].Bytes, r.Bytes));
        Assert.True(double.IsFinite(best[other].BitsPerByte) && best[other].BitsPerByte > 0);
        await AssertFreed("a", "g");
    }

    [Fact]
    public async Task A_generation_in_another_members_vocabulary_streams_its_text_and_frees_every_slot()
    {
        foreach (var order in new[] { new[] { "a", "g" }, new[] { "g", "a" } })
        {
            var request = Requests.Greedy(Text[..40], 12, "packllm-sim", order) with { Parameters = new() { ["reference"] = "best" } };
            var (tokens, finished, started) = await Requests.Collect(fixture.Client, request);
            Assert.Equal("packllm-sim", started.Method);
            Assert.Equal(string.Concat(tokens.Select(t => t.Text)), finished.Text);
            Assert.All(tokens, t => Assert.Equal(1.0, t.Weights!.Values.Sum(), 4));
            Assert.Contains(finished.Reason, new[] { "max_tokens", "eog" });
        }
        await AssertFreed("a", "g");
    }

    private async Task AssertFreed(params string[] models)
    {
        foreach (var model in models)
        {
            var grain = fixture.Client.GetGrain<IModelGrain>(model);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            SlotUsage slots;
            while ((slots = await grain.Slots()).ActiveSequences != 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Equal(0, slots.ActiveSequences);
        }
    }
}
