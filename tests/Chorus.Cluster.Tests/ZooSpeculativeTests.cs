using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Speculative ensembling on trained zoo members of different sizes (their drafts agree often, so long accepted
/// prefixes and bonus tokens are exercised): greedy output equals the plain ensemble token for token.
/// </summary>
[Collection(ZooClusterCollection.Name)]
public sealed class ZooSpeculativeTests(ZooClusterFixture fixture)
{
    private const string Prompt = "The history of the city begins in the year";

    // the domain pack drafted by its main member keeps most drafts (long accepted prefixes and bonus tokens); the
    // others keep few, so the adaptive draft length pauses and resumes (rejections, roll-backs, plain-like rounds)
    public static TheoryData<string, string[], string?, bool> Packs => new()
    {
        { "packllm-sim", ["wiki-expert", "shakespeare-expert", "linux-expert"], null, true },
        { "uniform", ["general-large", "wiki-expert"], "general-small", false },  // a small drafter that is not a member
        { "packllm-sim", ["general-small", "general-large", "wiki-expert"], null, false }, // the smallest member (main) drafts
        { "unite", ["general-large", "wiki-expert-gpt2"], "general-small", false }, // across vocabularies
    };

    [Theory]
    [MemberData(nameof(Packs))]
    public async Task Greedy_speculation_equals_the_plain_ensemble_for_draft_lengths_1_to_8(string method, string[] members, string? drafter, bool mostlyKept)
    {
        var plain = await Requests.Collect(fixture.Client, Greedy(method, members));
        var expected = plain.Tokens.Select(t => t.TokenId).ToList();
        Assert.True(expected.Count >= 16, $"plain generation ended after {expected.Count} tokens ({plain.Finished.Reason})");
        int drafted = 0, accepted = 0, rounds = 0, pipelined = 0;
        foreach (var k in new[] { 1, 2, 3, 4, 5, 6, 7, 8 })
        {
            var (tokens, finished, _) = await Requests.Collect(fixture.Client, Greedy(method, members) with { Speculate = k, Drafter = drafter });
            Assert.Equal(expected, tokens.Select(t => t.TokenId).ToList());
            Assert.Equal(plain.Finished.Reason, finished.Reason);
            Assert.Equal(plain.Finished.Text, finished.Text);
            drafted += finished.DraftedTokens;
            accepted += finished.AcceptedTokens;
            rounds += finished.Rounds;
            pipelined += finished.PipelinedRounds;
        }
        Assert.True(drafted > 0, "nothing was drafted");
        if (mostlyKept) Assert.True(accepted > drafted / 2, $"the domain pack kept only {accepted} of {drafted} drafts of its own main member");
        // greedy pipelining: a round after one that kept every draft and the drafter's bonus starts with its drafts made
        if (mostlyKept) Assert.True(pipelined > rounds / 3, $"only {pipelined} of {rounds} rounds started with drafts made ahead");
        foreach (var model in ZooClusterFixture.Served)
            Assert.Equal(0, (await fixture.Client.GetGrain<IModelGrain>(model).Slots()).ActiveSequences);
    }

    private static GenerationRequest Greedy(string method, string[] members) =>
        new(new MemberSelection(null, members), method, [], Prompt, new SamplingSpec(Temperature: 0), 40);
}
