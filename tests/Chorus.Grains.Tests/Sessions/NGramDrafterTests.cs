using Chorus.Primitives;
using Chorus.Grains;

namespace Chorus.Grains.Tests.Sessions;

/// <summary>Prompt lookup: what the n-gram drafter proposes, and the point-mass law it proposes under sampling.</summary>
public sealed class NGramDrafterTests
{
    [Fact]
    public void The_longest_suffix_is_looked_up_and_its_most_recent_continuation_proposed()
    {
        // ... 7 8 9 | 1 2 3 [4 5 6] ... 9 9 1 2 3 [7 7] ... 1 2 3: the later occurrence of "1 2 3" wins
        int[] text = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 7, 7, 0, 1, 2, 3];
        Assert.Equal([7, 7, 0], NGramDrafter.Lookup(text, 3));
        // past the end of the text the continuation repeats itself: "1 2 3 | 7 7 0 1 2 3 | 7 7 0 1 …"
        Assert.Equal([7, 7, 0, 1, 2, 3, 7, 7, 0, 1], NGramDrafter.Lookup(text, 10));
    }

    [Fact]
    public void A_longer_match_beats_a_more_recent_shorter_one()
    {
        // "8 2 3" appears once early; "2 3" appears more recently after 5: the 3-gram decides
        int[] text = [8, 2, 3, 4, 4, 5, 2, 3, 6, 8, 2, 3];
        Assert.Equal([4, 4], NGramDrafter.Lookup(text, 2));
    }

    [Fact]
    public void A_loop_shorter_than_k_drafts_k_tokens()
    {
        // a period-2 loop: the most recent "5 6" is two tokens back, yet the draft runs the whole k
        int[] text = [1, 5, 6, 5, 6];
        Assert.Equal([5, 6, 5, 6, 5, 6, 5], NGramDrafter.Lookup(text, 7));
    }

    [Fact]
    public void Nothing_matches_nothing_is_proposed()
    {
        Assert.Empty(NGramDrafter.Lookup([1, 2, 3, 4, 5], 4));
        Assert.Empty(NGramDrafter.Lookup([1, 2, 1, 2], 0));
        Assert.Empty(NGramDrafter.Lookup([7], 4));
    }

    [Fact]
    public async Task Sampled_drafts_are_proposed_as_point_masses_and_follow_the_committed_text()
    {
        var drafter = new NGramDrafter([5, 6, 7, 1, 5, 6], greedy: false, vocabularySize: 10, maxDraft: 3);
        var rows = new TokenDistribution?[4][];
        var drafts = await drafter.DraftAsync([], 3, rows, CancellationToken.None);
        Assert.Equal([7, 1, 5], drafts);
        for (var i = 0; i < drafts.Length; i++)
        {
            Assert.Equal(1.0, drafter.Proposal(i)[drafts[i]]);
            Assert.Equal(1.0, drafter.Proposal(i).ToArray().Sum());
        }
        // the committed token 9 breaks the pattern: "6 9" was never seen
        Assert.Empty(await drafter.DraftAsync([9], 3, rows, CancellationToken.None));
        Assert.Equal(-1, drafter.MemberIndex);
    }
}
