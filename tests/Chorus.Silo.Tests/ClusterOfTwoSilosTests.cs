using Chorus.Api;
using Chorus.Silo.Tests.Support;
using Grpc.Core;

namespace Chorus.Silo.Tests;

/// <summary>A fused request through silo 1's gRPC endpoint whose members live in two silo processes.</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class ClusterOfTwoSilosTests(TwoSiloFixture fixture)
{
    private const string Prompt = "The cluster fuses two models that live in two processes";
    private TwoSiloCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task ListModels_shows_which_silo_serves_each_model()
    {
        var models = await Cluster.Client.ListModelsAsync();

        Assert.Equal(["a", "a2", "b", "g"], models.Select(m => m.Id).Order(StringComparer.Ordinal));
        foreach (var m in models)
        {
            var port = TwoSiloCluster.Silo1Models.Contains(m.Id) ? Cluster.Silo1.SiloPort : Cluster.Silo2.SiloPort;
            Assert.True(m.Silo.Contains($":{port}:", StringComparison.Ordinal), $"model {m.Id} reported on silo '{m.Silo}', expected the silo on port {port}");
        }
        Assert.Equal("spm", models.Single(m => m.Id == "b").Vocabulary);
        Assert.Equal(50257, models.Single(m => m.Id == "g").VocabularySize);
    }

    [Fact]
    public async Task A_fused_generation_spans_both_silos()
    {
        var events = await GenerateAsync(Cluster.Client, ["a", "b"], "packllm-sim", maxTokens: 12);

        var started = events[0].Started;
        Assert.NotNull(started);
        Assert.Contains($":{Cluster.Silo1.SiloPort}:", started.Members.Single(m => m.Model == "a").Silo, StringComparison.Ordinal);
        Assert.Contains($":{Cluster.Silo2.SiloPort}:", started.Members.Single(m => m.Model == "b").Silo, StringComparison.Ordinal);
        var tokens = events.Where(e => e.EventCase == GenerateEvent.EventOneofCase.Token && e.Token.TokenId >= 0).Select(e => e.Token).ToList();
        Assert.Equal(12, tokens.Count);
        Assert.All(tokens, t =>
        {
            Assert.Equal(["a", "b"], t.Weights.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1.0, t.Weights.Values.Sum(), 1e-4);
        });
        var finished = events[^1].Finished;
        Assert.Equal("max_tokens", finished.Reason);
        Assert.Equal(12, finished.Usage.CompletionTokens);
        Assert.Equal(string.Concat(events.Where(e => e.Token is not null).Select(e => e.Token.Text)), finished.Text);
    }

    [Fact]
    public async Task Either_silo_endpoint_gives_the_same_greedy_generation()
    {
        using var viaSilo2 = Chorus.Client.Cluster.ChorusApiClient.ForAddress(Cluster.Silo2.Endpoint);
        var one = await GenerateAsync(Cluster.Client, ["a", "b"], "uniform", maxTokens: 10);
        var two = await GenerateAsync(viaSilo2, ["a", "b"], "uniform", maxTokens: 10);

        Assert.Equal(one[^1].Finished.Text, two[^1].Finished.Text);
        Assert.Equal(one.Where(e => e.Token is not null).Select(e => e.Token.TokenId), two.Where(e => e.Token is not null).Select(e => e.Token.TokenId));
    }

    [Fact]
    public async Task A_mixed_vocabulary_generation_follows_the_text_on_the_remote_silo()
    {
        var request = Request(["a", "g"], "unite", maxTokens: 8);
        request.ShowMemberTokens = true;
        var events = await Collect(Cluster.Client.GenerateAsync(request));

        var finished = events[^1].Finished;
        Assert.Equal(8, finished.Usage.CompletionTokens);
        // the gpt-2 member decodes its own tokens of the shared text on silo 2
        var g = events.Where(e => e.Token is { TokenId: >= 0 }).Select(e => e.Token.MemberTokens.Single(m => m.Model == "g")).ToList();
        Assert.Equal(8, g.Count);
        Assert.Contains(g, m => m.TokenIds.Count > 0);
        Assert.All(g.SelectMany(m => m.TokenIds), id => Assert.InRange(id, 0, 50256));
    }

    [Fact]
    public async Task Tokenize_runs_on_the_silo_that_serves_the_model()
    {
        var spm = await Cluster.Client.TokenizeAsync("b", "Hello world");
        var gpt2 = await Cluster.Client.TokenizeAsync("g", "Hello world");

        Assert.Equal([15043, 3186], spm.Ids); // llama.cpp's own test vector for llama-spm
        Assert.Equal([15496, 995], gpt2.Ids); // and for gpt-2
        Assert.Equal(" world", gpt2.Pieces[1]);
    }

    [Fact]
    public async Task An_unknown_model_is_NotFound_at_once()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(Cluster.Client, ["a", "nope"], "uniform", maxTokens: 4));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("'nope'", e.Status.Detail, StringComparison.Ordinal);
    }

    internal static GenerateRequest Request(string[] models, string method, int maxTokens)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Method = method, Prompt = Prompt, ShowWeights = true,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        request.Members.Models.AddRange(models);
        return request;
    }

    internal static async Task<List<GenerateEvent>> GenerateAsync(Chorus.Client.Cluster.ChorusApiClient client, string[] models, string method, int maxTokens)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Collect(client.GenerateAsync(Request(models, method, maxTokens), timeout.Token));
    }

    private static async Task<List<GenerateEvent>> Collect(IAsyncEnumerable<GenerateEvent> events)
    {
        var list = new List<GenerateEvent>();
        await foreach (var e in events) list.Add(e);
        return list;
    }
}
