using System.Diagnostics;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>An HTTP client that goes away mid-stream cancels its session: the slots are free long before the idle sweep would run.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class DisconnectTests(OpenAiSiloFixture fixture)
{
    // far below the two minutes after which the idle sweep would free a forgotten session's slots, far above a loaded machine's delays
    private static readonly TimeSpan FreedWithin = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_client_that_aborts_a_streamed_chat_frees_every_slot_of_its_session()
    {
        using var node = NodeScript.Start("abort.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey, new
        {
            model = OpenAiSiloFixture.Pack,
            messages = new[] { new { role = "user", content = "Tell me a long story." } },
            max_tokens = 1500, temperature = 0,
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Assert.Equal("streaming", await node.ReadLineAsync(timeout.Token));
        var holding = await ActiveAsync();
        Assert.True(holding == OpenAiSiloFixture.PackMembers.Length, $"mid-stream the session should hold one slot per member, holds {holding}");

        await node.WriteLineAsync("abort");
        var result = await node.ResultAsync();
        Assert.True(result.GetProperty("aborted").GetBoolean());

        // slot counts have no push signal (the model list is their only public view): poll it, bounded
        var clock = Stopwatch.StartNew();
        var active = await ActiveAsync();
        while (active > 0 && clock.Elapsed < FreedWithin)
        {
            await Task.Delay(50);
            active = await ActiveAsync();
        }
        Assert.True(active == 0, $"{active} KV sequences still taken {clock.Elapsed.TotalSeconds:F1} s after the client disconnected\n{fixture.Silo.Log}");
        Assert.False(fixture.Silo.HasExited, fixture.Silo.Log);
    }

    private async Task<int> ActiveAsync() => (await fixture.Client.ListModelsAsync()).Sum(m => m.ActiveSequences);
}
