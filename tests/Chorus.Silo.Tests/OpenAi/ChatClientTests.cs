using Microsoft.Extensions.AI;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary><see cref="Client.Cluster.ChorusApiClient"/> as a Microsoft.Extensions.AI <see cref="IChatClient"/> against a real silo.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ChatClientTests(OpenAiSiloFixture fixture)
{
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "You are brief."), new(ChatRole.User, "Name a colour.")];

    [Fact]
    public async Task A_pack_answers_as_a_chat_client_streamed_and_not_and_matches_the_http_api()
    {
        IChatClient chat = fixture.Client;
        var options = new ChatOptions { ModelId = OpenAiSiloFixture.Pack, MaxOutputTokens = 6, Temperature = 0 };

        var response = await chat.GetResponseAsync(Conversation, options);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(6, response.Usage?.OutputTokenCount);
        Assert.NotEmpty(response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);

        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync(Conversation, options)) streamed.Add(update);
        Assert.True(streamed.Count > 2, "expected an update per token");
        Assert.Equal(response.Text, string.Concat(streamed.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Length, streamed[^1].FinishReason);

        var http = await NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey, new
        {
            model = OpenAiSiloFixture.Pack, max_tokens = 6, temperature = 0,
            messages = new[] { new { role = "system", content = "You are brief." }, new { role = "user", content = "Name a colour." } },
        }, "chat");
        Assert.Equal(response.Text, http.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_single_model_and_an_ad_hoc_member_list_are_chat_clients_too()
    {
        IChatClient chat = fixture.Client;
        var single = await chat.GetResponseAsync(Conversation, new ChatOptions { ModelId = "chatml", MaxOutputTokens = 3, Temperature = 0 });
        Assert.Equal(3, single.Usage?.OutputTokenCount);

        var adHoc = new ChatOptions { ModelId = "my-duet", MaxOutputTokens = 6, Temperature = 0, AdditionalProperties = new AdditionalPropertiesDictionary
        {
            ["chorus.members"] = OpenAiSiloFixture.PackMembers, ["chorus.method"] = OpenAiSiloFixture.PackMethod,
        } };
        var pack = await chat.GetResponseAsync(Conversation, new ChatOptions { ModelId = OpenAiSiloFixture.Pack, MaxOutputTokens = 6, Temperature = 0 });
        Assert.Equal(pack.Text, (await chat.GetResponseAsync(Conversation, adHoc)).Text);
        Assert.NotNull(chat.GetService<ChatClientMetadata>());
        var oneMessage = await chat.GetResponseAsync("Name a colour.", new ChatOptions { ModelId = OpenAiSiloFixture.Pack, MaxOutputTokens = 2 }); // as the README shows it
        Assert.Equal(2, oneMessage.Usage?.OutputTokenCount);
    }
}
