using System.Text;
using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Method <c>byte</c> through real silos with a two-vocabulary pack (g: gpt-2 vocabulary, a: llama-spm, on different
/// silos): the stream is valid UTF-8 whatever the members' byte tokens, the weights stay a distribution, and every
/// sequence — the forks of the cover trees included — is freed when the request ends, however it ends.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ByteFusionTests(ClusterFixture fixture)
{
    private const string Prompt = "Once upon a time, in a cluster far away, the";

    private static GenerationRequest Sampled(int maxCharacters, ulong seed, params string[] models) =>
        new(new MemberSelection(null, models), "byte", [], Prompt, new SamplingSpec(Temperature: 1, Seed: seed), maxCharacters, ShowWeights: true);

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public async Task A_two_vocabulary_byte_generation_streams_valid_utf8_and_frees_every_slot(ulong seed)
    {
        var (tokens, finished, started) = await Requests.Collect(fixture.Client, Sampled(40, seed, "g", "a"));
        Assert.Equal("byte", started.Method);
        Assert.NotEmpty(tokens);
        var streamed = new StringBuilder();
        foreach (var t in tokens)
        {
            Assert.Equal(1, new StringInfoCount(t.Text).Scalars); // one character per event
            Assert.DoesNotContain('\uFFFD', t.Text);
            Assert.Equal(t.TokenId, char.ConvertToUtf32(t.Text, 0));
            Assert.Equal(1.0, t.Weights!.Values.Sum(), 6);
            streamed.Append(t.Text);
        }
        var text = finished.Text;
        Assert.Equal(streamed.ToString(), text);
        Assert.Equal(text, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text))); // round-trips: no lone surrogate
        Assert.Contains(finished.Reason, new[] { "max_tokens", "eog" });
        await AssertFreed("g", "a");
    }

    [Fact]
    public async Task Scoring_by_bytes_reports_the_pruning_bound_and_frees_the_forks()
    {
        var session = fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        var text = "The quick brown fox jumps over the lazy dog, and the cluster keeps every byte of it in step.";
        var result = await session.Score(new ScoreRequest(new MemberSelection(null, ["g", "a"]), "byte", [], text));
        var bytes = Encoding.UTF8.GetByteCount(text[(text.Length - (int)result.Bytes)..]);
        Assert.Equal(result.Bytes, result.Tokens);
        Assert.True(double.IsFinite(result.BitsPerByte) && result.BitsPerByte > 0, $"bits per byte {result.BitsPerByte}");
        Assert.InRange(result.Bytes, 20, bytes);
        var d = result.Diagnostics!;
        Assert.True(d["g.forks"] > 0 && d["a.forks"] > 0, "the random members spread mass over tokenizations: branches must fork");
        Assert.InRange(d["g.peak-branches"], 2, 4);
        Assert.True(d["g.bound-bits-upper"] >= 0);
        Assert.Equal(1.0, result.MeanWeights.Sum(), 4);
        await AssertFreed("g", "a");
    }

    [Fact]
    public async Task Cancelling_a_byte_generation_frees_the_forked_sequences()
    {
        using var cts = new CancellationTokenSource();
        var received = 0;
        var session = fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in session.Generate(Sampled(500, 3, "g", "a"), cts.Token).WithCancellation(cts.Token))
                if (e is GeneratedToken && ++received == 5) await cts.CancelAsync();
        });
        Assert.Equal(5, received);
        await AssertFreed("g", "a");
    }

    [Fact]
    public async Task Online_weights_need_one_vocabulary()
    {
        var request = new GenerationRequest(new MemberSelection(null, ["g", "a"]), "online", [], Prompt, new SamplingSpec(), 4);
        await Assert.ThrowsAsync<ChorusException>(async () => await Requests.Collect(fixture.Client, request));
        var (tokens, _, _) = await Requests.Collect(fixture.Client, Requests.Greedy(Prompt, 6, "online", "a", "b"));
        Assert.All(tokens, t => Assert.Equal(1.0, t.Weights!.Values.Sum(), 4));
        await AssertFreed("a", "b");
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

    private readonly record struct StringInfoCount(string Text)
    {
        public int Scalars => Text.EnumerateRunes().Count();
    }
}
