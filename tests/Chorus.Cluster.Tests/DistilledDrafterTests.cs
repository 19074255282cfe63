using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// The drafter distilled from general-large + wiki-expert (models/distil-drafter.sh: general-small fine-tuned on the pair's
/// own greedy continuations) drafts for that pair: greedy speculation still equals plain decoding token for token, and the
/// pair keeps more of its drafts than of general-small's, whose greedy text (tabs, "the the") the pair never emits.
/// </summary>
[Collection(ZooClusterCollection.Name)]
public sealed class DistilledDrafterTests(ZooClusterFixture fixture)
{
    private static readonly string[] Pair = ["general-large", "wiki-expert"];

    [Theory]
    [InlineData("The history of the city begins in the year")] // not one of the distillation prompts (those are training-split lines)
    [InlineData("The team won the match in")]
    public async Task The_distilled_drafter_equals_plain_decoding_and_keeps_more_drafts_than_general_small(string prompt)
    {
        var request = new GenerationRequest(new MemberSelection(null, Pair), "uniform", [], prompt, new SamplingSpec(Temperature: 0), 40);
        var plain = await Requests.Collect(fixture.Client, request);
        var expected = plain.Tokens.Select(t => t.TokenId).ToList();
        Assert.True(expected.Count >= 16, $"plain generation ended after {expected.Count} tokens ({plain.Finished.Reason})");
        var kept = new Dictionary<string, (int Accepted, int Drafted)>();
        foreach (var drafter in new[] { ZooClusterFixture.Distilled, "general-small" })
        {
            int accepted = 0, drafted = 0;
            foreach (var k in new[] { 2, 4, 8 })
            {
                var (tokens, finished, _) = await Requests.Collect(fixture.Client, request with { Speculate = k, Drafter = drafter });
                Assert.Equal(expected, tokens.Select(t => t.TokenId).ToList());
                Assert.Equal(plain.Finished.Text, finished.Text);
                accepted += finished.AcceptedTokens;
                drafted += finished.DraftedTokens;
            }
            kept[drafter] = (accepted, drafted);
        }
        var (distilled, small) = (kept[ZooClusterFixture.Distilled], kept["general-small"]);
        Assert.True(distilled.Drafted > 0, "the distilled drafter drafted nothing");
        Assert.True(distilled.Accepted > small.Accepted,
            $"distilled drafter kept {distilled.Accepted}/{distilled.Drafted}, general-small {small.Accepted}/{small.Drafted}");
        foreach (var model in ZooClusterFixture.Served)
            Assert.Equal(0, (await fixture.Client.GetGrain<IModelGrain>(model).Slots()).ActiveSequences);
    }
}
