using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Cluster.Tests;

/// <summary>
/// The composition matrix of the one generation loop (docs/cluster.md, "What combines with what"): every method × mode
/// (token, speculative) × input (prompt, chat) × decoding (greedy, seeded sampling, log-probabilities) through the
/// three-silo cluster. A cell works — greedy speculation gives the plain tokens and log-probabilities, seeded sampling
/// repeats itself, every slot is freed — or is refused before any work with the reason it cannot be (byte fusion has no
/// tokens of one vocabulary to draft or to report).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CompositionMatrixTests(ClusterFixture fixture)
{
    private const string Prompt = "Once upon a time, in a cluster far away,";
    private const int Tokens = 10;

    private static readonly ChatTurn[] Chat = [new("system", "You answer briefly."), new("user", "Tell me about the cluster far away.")];

    // methods that fuse across vocabularies run on a + g (gpt-2) as well as on the same-vocabulary trio
    private static readonly HashSet<string> CrossVocabulary = [FusionMethods.Unite, FusionMethods.Deepen, FusionMethods.PackLlmSim, FusionMethods.PackLlmOpt, FusionMethods.Byte];

    public static TheoryData<string, string, bool> Cells()
    {
        var cells = new TheoryData<string, string, bool>();
        foreach (var method in FusionMethods.Names)
            foreach (var chat in new[] { false, true })
            {
                cells.Add(method, "a,b,c", chat);
                if (CrossVocabulary.Contains(method)) cells.Add(method, "a,g", chat);
            }
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Every_method_combines_with_every_mode_input_and_decoding(string method, string members, bool chat)
    {
        var models = members.Split(',');
        var greedy = Request(method, models, chat, new SamplingSpec(Temperature: 0));
        var sampled = Request(method, models, chat, new SamplingSpec(Temperature: 0.8f, TopP: 0.95f, Seed: 11));
        var plain = await Collect(greedy);
        Assert.True(plain.Tokens.Count > 0 || plain.Finished.Reason == "eog", $"{method}: nothing generated ({plain.Finished.Reason})");
        Assert.Equal(plain.Tokens.Count, plain.Finished.CompletionTokens);
        Assert.True((await Collect(sampled)).Tokens.Select(t => t.TokenId).SequenceEqual((await Collect(sampled)).Tokens.Select(t => t.TokenId)),
            $"{method}: a seeded sampled generation did not repeat itself");

        if (method == FusionMethods.Byte)
        {
            await Refused(greedy with { Speculate = 3 }, "speculate", "byte");
            await Refused(greedy with { TopLogProbs = 2 }, "logprobs", "byte");
            await AssertSlotsFree(models);
            return;
        }

        // log-probabilities: the chosen token's and the top 3 of the fused distribution, at every token
        var withLogProbs = await Collect(greedy with { TopLogProbs = 3 });
        Assert.Equal(plain.Tokens.Select(t => t.TokenId), withLogProbs.Tokens.Select(t => t.TokenId));
        foreach (var t in withLogProbs.Tokens)
        {
            Assert.Equal(t.TokenId, t.LogProb!.TokenId);
            Assert.True(t.LogProb.LogProb <= 1e-6, $"{method}: log-probability {t.LogProb.LogProb} > 0");
            Assert.Equal(3, t.TopLogProbs!.Length);
        }

        // speculation: the same greedy tokens, weights and log-probabilities as plain decoding; seeded sampling repeats
        var speculative = await Collect(greedy with { Speculate = 3, TopLogProbs = 3, ShowWeights = true });
        Assert.Equal(plain.Tokens.Select(t => t.TokenId), speculative.Tokens.Select(t => t.TokenId));
        Assert.Equal(plain.Finished.Text, speculative.Finished.Text);
        Assert.True(speculative.Finished.Rounds > 0 || plain.Tokens.Count == 0);
        for (var i = 0; i < speculative.Tokens.Count; i++)
        {
            Assert.Equal(withLogProbs.Tokens[i].LogProb!.LogProb, speculative.Tokens[i].LogProb!.LogProb, 4);
            foreach (var (model, weight) in plain.Tokens[i].Weights!)
                Assert.Equal(weight, speculative.Tokens[i].Weights![model], 5);
        }
        var drafted = sampled with { Speculate = 3 };
        Assert.True((await Collect(drafted)).Tokens.Select(t => t.TokenId).SequenceEqual((await Collect(drafted)).Tokens.Select(t => t.TokenId)),
            $"{method}: a seeded speculative generation did not repeat itself");
        await AssertSlotsFree(models);
    }

    private static GenerationRequest Request(string method, string[] models, bool chat, SamplingSpec sampling) =>
        new(new MemberSelection(null, models), method, method == FusionMethods.Unite ? new() { ["floor"] = "0.05" } : [], chat ? "" : Prompt, sampling, Tokens, ShowWeights: true)
        {
            Messages = chat ? Chat : null,
        };

    private Task<(List<GeneratedToken> Tokens, GenerationFinished Finished, GenerationStarted Started)> Collect(GenerationRequest request) =>
        Requests.Collect(fixture.Client, request);

    private async Task Refused(GenerationRequest request, string field, string reason)
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => Collect(request));
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private async Task AssertSlotsFree(string[] models)
    {
        foreach (var model in models)
        {
            var grain = fixture.Client.GetGrain<IModelGrain>(model);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while ((await grain.Slots()).ActiveSequences > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Equal(0, (await grain.Slots()).ActiveSequences);
        }
    }
}
