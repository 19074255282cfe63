using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>Speculation on a chat over HTTP (the official openai client): each member's own template, the greedy text of plain decoding.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ChatSpeculationTests(OpenAiSiloFixture fixture)
{
    private const int Tokens = 16;
    private static readonly object[] Conversation = [new { role = "system", content = "You are brief." }, new { role = "user", content = "Where does the river go?" }];

    private Task<JsonElement> ChatAsync(object chorus, bool stream = false) =>
        NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey,
            new { model = OpenAiSiloFixture.Pack, messages = Conversation, max_tokens = Tokens, temperature = 0, stream, chorus }, "chat");

    [Fact]
    public async Task A_speculative_chat_of_a_pack_gives_the_greedy_text_of_plain_decoding()
    {
        var plain = await ChatAsync(new { speculate = 0 });
        var speculative = await ChatAsync(new { speculate = 4 });
        var streamed = await ChatAsync(new { speculate = 4 }, stream: true);
        Assert.False(speculative.TryGetProperty("error", out var error), error.ToString());

        var text = Content(plain);
        Assert.Equal(text, Content(speculative));
        Assert.True(speculative.GetProperty("chorus").GetProperty("timings").GetProperty("rounds").GetInt32() is > 0 and < Tokens, "speculation did not run");
        var chunks = streamed.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal(text, string.Concat(chunks.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
    }

    private static string Content(JsonElement chat) => chat.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
}
