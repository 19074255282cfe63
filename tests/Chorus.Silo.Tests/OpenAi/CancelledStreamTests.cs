using System.Diagnostics;
using Chorus.Api;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// A stream its client cancels ends its session through the gateway, whichever front end it came through and in
/// whichever mode: a speculative generation's slots are free long before the idle sweep would free them.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class CancelledStreamTests(OpenAiSiloFixture fixture)
{
    // far below the two minutes after which the idle sweep would free a forgotten session's slots, far above a loaded machine's delays
    private static readonly TimeSpan FreedWithin = TimeSpan.FromSeconds(10);
    private static readonly string[] Members = ["plain", "chatml"];

    [Fact]
    public async Task An_http_client_that_aborts_a_speculative_completion_frees_every_slot()
    {
        using var node = NodeScript.Start("abort.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey, new
        {
            model = "spec-duet", prompt = "Tell me a long story about the river.", max_tokens = 1500, temperature = 0,
            chorus = new { members = Members, method = "uniform", speculate = 4 },
        }, "completion");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Assert.Equal("streaming", await node.ReadLineAsync(timeout.Token));
        var holding = await ActiveAsync();
        Assert.True(holding >= Members.Length, $"mid-stream the session should hold a slot per member at least, holds {holding}");

        await node.WriteLineAsync("abort");
        Assert.True((await node.ResultAsync()).GetProperty("aborted").GetBoolean());
        await AssertAllFreeAsync();
    }

    [Fact]
    public async Task A_grpc_client_that_cancels_a_speculative_generation_frees_every_slot()
    {
        var request = new GenerateRequest
        {
            Members = new Members { Models = { Members } }, Method = "uniform", Prompt = "Tell me a long story about the river.", Speculate = 4,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = 1500 },
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var tokens = 0;
        var holding = 0;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var e in fixture.Client.GenerateAsync(request, cancel.Token))
            {
                if (e.Token is null || ++tokens != 2) continue;
                holding = await ActiveAsync();
                await cancel.CancelAsync();
            }
        });
        Assert.True(holding >= Members.Length, $"mid-stream the session should hold a slot per member at least, holds {holding}");
        await AssertAllFreeAsync();
    }

    // slot counts have no push signal (the model list is their only public view): poll it, bounded
    private async Task AssertAllFreeAsync()
    {
        var clock = Stopwatch.StartNew();
        var active = await ActiveAsync();
        while (active > 0 && clock.Elapsed < FreedWithin)
        {
            await Task.Delay(50);
            active = await ActiveAsync();
        }
        Assert.True(active == 0, $"{active} KV sequences still taken {clock.Elapsed.TotalSeconds:F1} s after the client left\n{fixture.Silo.Log}");
        Assert.False(fixture.Silo.HasExited, fixture.Silo.Log);
    }

    private async Task<int> ActiveAsync() => (await fixture.Client.ListModelsAsync()).Sum(m => m.ActiveSequences);
}
