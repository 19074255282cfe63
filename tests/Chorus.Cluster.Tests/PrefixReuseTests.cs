using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Cluster.Tests;

/// <summary>
/// A chat client sends the whole conversation every turn: on the second turn every member of the pack starts from the
/// KV the first turn left (the prefix cache is on by default), each in its own tokenization and chat template.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrefixReuseTests(ClusterFixture fixture)
{
    // "b" (SentencePiece) and "g" (GPT-2 byte-level BPE): two vocabularies, two chat templates, one silo
    private static readonly string[] Members = ["b", "g"];

    [Theory]
    [InlineData("uniform")]
    [InlineData("packllm-sim")] // reads every prompt token's log-prob: served from the log-probs kept with the cache
    public async Task The_second_turn_of_a_chat_reuses_the_first_turns_prefix_in_every_member(string method)
    {
        ChatTurn[] first = [new("system", "You answer briefly and kindly."), new("user", $"Tell me about the river that runs past the old mill ({method}).")];
        var turn1 = await Requests.Collect(fixture.Client, Chat(method, first));
        var before = Statistics();

        ChatTurn[] second = [.. first, new("assistant", turn1.Finished.Text), new("user", "And what lives in it?")];
        var turn2 = await Requests.Collect(fixture.Client, Chat(method, second));

        var after = Statistics();
        Assert.Equal("max_tokens", turn2.Finished.Reason);
        foreach (var member in Members)
        {
            var hits = after[member].HitTokens - before[member].HitTokens;
            var prefilled = after[member].PrefillTokens - before[member].PrefillTokens;
            Assert.True(hits > 0, $"{method}: member '{member}' prefilled {prefilled} tokens on the second turn and reused none");
            Assert.True(hits < prefilled, $"{method}: member '{member}' reused {hits} of {prefilled} tokens");
        }
    }

    private static GenerationRequest Chat(string method, ChatTurn[] messages) =>
        Requests.Greedy("", 6, method, Members) with { Messages = messages };

    // every replica of each member on every silo, straight from the runners
    private Dictionary<string, (long HitTokens, long PrefillTokens)> Statistics()
    {
        var totals = Members.ToDictionary(m => m, _ => (HitTokens: 0L, PrefillTokens: 0L));
        foreach (var silo in fixture.Cluster.Silos)
        {
            var local = silo.ServiceProvider.GetRequiredService<LocalModels>();
            foreach (var key in local.Keys)
            {
                var model = ServedModels.ModelId(key);
                if (!totals.TryGetValue(model, out var sum) || !local.TryGet(key, out var replica)) continue;
                var (hits, prefilled) = replica.Endpoint.Scheduler.Runner.PrefixStatistics;
                totals[model] = (sum.HitTokens + hits, sum.PrefillTokens + prefilled);
            }
        }
        return totals;
    }
}
