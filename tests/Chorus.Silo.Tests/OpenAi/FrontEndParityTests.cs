using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Chorus.Api;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>Both front ends run the same session: the same greedy request through HTTP and gRPC gives the same tokens.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class FrontEndParityTests(OpenAiSiloFixture fixture)
{
    private const int Tokens = 10;

    [Fact]
    public async Task The_same_greedy_completion_through_http_and_grpc_gives_the_same_tokens()
    {
        const string prompt = "The river ran past the old mill";
        var http = await PostAsync("/v1/completions", new { model = OpenAiSiloFixture.Pack, prompt, max_tokens = Tokens, temperature = 0, logprobs = 0 });
        var grpc = Request(prompt: prompt);
        await AssertSameTokensAsync(http, grpc, http.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList(),
            http.GetProperty("choices")[0].GetProperty("text").GetString()!);
    }

    [Fact]
    public async Task The_same_greedy_chat_through_http_and_grpc_gives_the_same_tokens()
    {
        var http = await PostAsync("/v1/chat/completions", new
        {
            model = OpenAiSiloFixture.Pack, messages = new[] { new { role = "user", content = "Where does the river go?" } },
            max_tokens = Tokens, temperature = 0, logprobs = true,
        });
        var grpc = Request(prompt: "");
        grpc.Messages.Add(new ChatMessage { Role = "user", Content = "Where does the river go?" });
        var choice = http.GetProperty("choices")[0];
        await AssertSameTokensAsync(http, grpc, choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().Select(t => t.GetProperty("token").GetString()!).ToList(),
            choice.GetProperty("message").GetProperty("content").GetString()!);
    }

    private async Task AssertSameTokensAsync(JsonElement http, GenerateRequest grpc, List<string> httpTokens, string httpText)
    {
        var tokens = new List<string>();
        var ids = new List<int>();
        Finished? finished = null;
        await foreach (var e in fixture.Client.GenerateAsync(grpc))
        {
            if (e.Token is { Logprob: { } lp } token)
            {
                tokens.Add(lp.Text);
                ids.Add(token.TokenId);
                Assert.Equal(lp.TokenId, token.TokenId);
            }
            if (e.Finished is { } f) finished = f;
        }
        Assert.Equal(Tokens, tokens.Count);
        Assert.Equal(tokens, httpTokens);
        Assert.Equal(finished!.Text, httpText);
        Assert.Equal(finished.Usage.PromptTokens, http.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.True(ids.Distinct().Count() > 1, "a degenerate generation (one token repeated) would prove little");
    }

    private static GenerateRequest Request(string prompt) => new()
    {
        Members = new Members { Pack = OpenAiSiloFixture.Pack }, Prompt = prompt, Logprobs = true,
        Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = Tokens },
    };

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.HttpEndpoint + path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OpenAiSiloFixture.ApiKey);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
