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
        { "packllm-sim", ["wiki-expert", "shakespeare-expert", "linux-expert"], "ngram", false }, // prompt lookup: no drafting model
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

    [Fact]
    public async Task Prompt_lookup_keeps_drafts_on_code_that_repeats_itself_and_equals_the_plain_ensemble()
    {
        // C code repeats its identifiers and idioms: the linux expert's greedy continuation quotes the prompt and itself
        const string code = "static int foo_init(struct foo *foo)\n{\n\tint ret;\n\n\tret = foo_alloc(foo);\n\tif (ret)\n\t\treturn ret;\n\tret = foo_";
        var request = new GenerationRequest(new MemberSelection(null, ["linux-expert", "wiki-expert"]), "packllm-sim", [], code, new SamplingSpec(Temperature: 0), 64);
        var plain = await Requests.Collect(fixture.Client, request);
        var (tokens, finished, _) = await Requests.Collect(fixture.Client, request with { Speculate = 6, Drafter = "ngram" });
        Assert.Equal(plain.Tokens.Select(t => t.TokenId), tokens.Select(t => t.TokenId));
        Assert.Equal(plain.Finished.Text, finished.Text);
        Assert.True(finished.AcceptedTokens > 0, $"prompt lookup kept {finished.AcceptedTokens} of {finished.DraftedTokens} drafts on code");
        Assert.True(finished.Rounds < tokens.Count, $"{finished.Rounds} rounds for {tokens.Count} tokens");
    }

    [Fact]
    public async Task By_default_the_member_the_method_weighs_most_drafts_and_its_drafts_are_kept()
    {
        // a Shakespeare prompt: PackLLM weighs shakespeare-expert most, and main (wiki-expert) would draft off its domain
        var request = new GenerationRequest(new MemberSelection(null, ["wiki-expert", "shakespeare-expert", "linux-expert"]), "packllm-sim", [],
            "ROMEO:\nWhat light through yonder window breaks? It is the", new SamplingSpec(Temperature: 0), 48);
        var plain = await Requests.Collect(fixture.Client, request);
        var (tokens, finished, _) = await Requests.Collect(fixture.Client, request with { Speculate = 4 });
        Assert.Equal(plain.Tokens.Select(t => t.TokenId), tokens.Select(t => t.TokenId));
        Assert.True(finished.AcceptedTokens > finished.DraftedTokens / 2, $"{finished.AcceptedTokens} of {finished.DraftedTokens} drafts kept");
    }

    // stateful methods: the weights of every step under speculation equal plain decoding's (greedy text alone cannot show
    // it, since the zoo's greedy continuations loop and then the weights barely move the arg-max)
    public static TheoryData<string, string[]> Stateful => new()
    {
        { "online", [] },
        { "gated", ["inner=online", "threshold=1"] }, // every step ensembles through the inner online method
        { "gated", ["inner=online"] },                // the default gate: some steps take the main member's distribution
    };

    [Theory]
    [MemberData(nameof(Stateful))]
    public async Task Stateful_weights_under_speculation_equal_plain_decodings_step_by_step(string method, string[] parameters)
    {
        string[] members = ["wiki-expert", "shakespeare-expert", "linux-expert"];
        var request = Greedy(method, members) with
        {
            Parameters = parameters.Select(p => p.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]),
            ShowWeights = true,
        };
        var plain = await Requests.Collect(fixture.Client, request);
        var weights = plain.Tokens.Select(t => t.Weights!).ToList();
        // the weights learn: the last step's differ from the first's (else this test could not tell learning from none)
        Assert.True(members.Any(m => Math.Abs(weights[^1][m] - weights[0][m]) > 1e-4), $"{method} weights did not move over {weights.Count} tokens");
        foreach (var k in new[] { 2, 4 })
        {
            var (tokens, _, _) = await Requests.Collect(fixture.Client, request with { Speculate = k });
            Assert.Equal(plain.Tokens.Select(t => t.TokenId), tokens.Select(t => t.TokenId));
            for (var i = 0; i < tokens.Count; i++)
                foreach (var m in members)
                    Assert.True(Math.Abs(tokens[i].Weights![m] - weights[i][m]) < 1e-6,
                        $"k={k}, token {i}: {m}'s weight {tokens[i].Weights![m]:R} under speculation, {weights[i][m]:R} plain");
        }
    }

    private static GenerationRequest Greedy(string method, string[] members) =>
        new(new MemberSelection(null, members), method, [], Prompt, new SamplingSpec(Temperature: 0), 40);
}
