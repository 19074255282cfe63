using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>The silo's HTTP API driven by the official openai npm client: what any OpenAI client gets from a Chorus pack.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class OpenAiClientTests(OpenAiSiloFixture fixture)
{
    private const string Prompt = "Once upon a time, in a valley by the river,";
    private static readonly object[] Conversation = [new { role = "system", content = "You are brief." }, new { role = "user", content = "Name a colour." }];

    private Task<JsonElement> RequestAsync(string kind, object? body = null, string? apiKey = null) =>
        NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, apiKey ?? OpenAiSiloFixture.ApiKey, body, kind);

    [Fact]
    public async Task Lists_every_served_model_and_every_pack()
    {
        var result = await RequestAsync("models");
        var models = result.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("owned_by").GetString());
        Assert.Equal("chorus", models["chatml"]);
        Assert.Equal("chorus", models["llama2"]);
        Assert.Equal("chorus", models["plain"]);
        Assert.Equal("chorus", models["phi3"]);
        Assert.Equal("chorus-pack", models[OpenAiSiloFixture.Pack]);
        Assert.Equal("chorus-pack", models[OpenAiSiloFixture.SpecialPack]);
        Assert.Equal(6, models.Count);
    }

    [Fact]
    public async Task A_completion_streamed_and_not_gives_the_same_greedy_text_and_ends_with_length_at_max_tokens()
    {
        var body = new { model = "plain", prompt = Prompt, max_tokens = 7, temperature = 0 };
        var whole = await RequestAsync("completion", body);
        var choice = whole.GetProperty("choices")[0];
        Assert.Equal("text_completion", whole.GetProperty("object").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(7, whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var usage = whole.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 7, usage.GetProperty("total_tokens").GetInt32());
        var text = choice.GetProperty("text").GetString()!;
        Assert.NotEmpty(text);

        var streamed = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 7, temperature = 0, stream = true, stream_options = new { include_usage = true } });
        var chunks = streamed.GetProperty("chunks").EnumerateArray().ToList();
        Assert.True(chunks.Count >= 3, $"expected a chunk per token, got {chunks.Count}");
        Assert.Equal(text, string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("length", chunks.Last(c => c.GetProperty("choices").GetArrayLength() > 0).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(7, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32()); // include_usage: the last chunk
    }

    [Fact]
    public async Task A_chat_completion_of_a_pack_streamed_and_not_gives_the_same_greedy_text()
    {
        var whole = await RequestAsync("chat", new { model = OpenAiSiloFixture.Pack, messages = Conversation, max_tokens = 6, temperature = 0 });
        Assert.Equal("chat.completion", whole.GetProperty("object").GetString());
        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        var text = message.GetProperty("content").GetString()!;
        Assert.NotEmpty(text);
        var chorus = whole.GetProperty("chorus");
        Assert.Equal(OpenAiSiloFixture.PackMethod, chorus.GetProperty("method").GetString());
        Assert.Equal(OpenAiSiloFixture.PackMembers, chorus.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("model").GetString()!));

        var streamed = await RequestAsync("chat", new { model = OpenAiSiloFixture.Pack, messages = Conversation, max_tokens = 6, temperature = 0, stream = true });
        var chunks = streamed.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal("assistant", chunks[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(text, string.Concat(chunks.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
        Assert.Equal("length", chunks[^1].GetProperty("finish_reason").GetString());
        Assert.All(streamed.GetProperty("chunks").EnumerateArray(), c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task An_ad_hoc_member_list_fuses_like_the_pack_of_the_same_members()
    {
        var pack = await RequestAsync("chat", new { model = OpenAiSiloFixture.Pack, messages = Conversation, max_tokens = 6, temperature = 0 });
        var adHoc = await RequestAsync("chat", new
        {
            model = "my-own-duet", messages = Conversation, max_tokens = 6, temperature = 0,
            chorus = new { members = OpenAiSiloFixture.PackMembers, method = OpenAiSiloFixture.PackMethod },
        });
        Assert.Equal("my-own-duet", adHoc.GetProperty("model").GetString());
        Assert.Equal(OpenAiSiloFixture.PackMembers, adHoc.GetProperty("chorus").GetProperty("members").EnumerateArray().Select(m => m.GetProperty("model").GetString()!));
        Assert.Equal(Content(pack), Content(adHoc));

        var single = await RequestAsync("chat", new { model = "chatml", messages = Conversation, max_tokens = 6, temperature = 0 });
        Assert.Equal("single", single.GetProperty("chorus").GetProperty("method").GetString());
    }

    [Fact]
    public async Task Chat_logprobs_are_those_of_the_fused_distribution_and_greedy_picks_the_most_likely()
    {
        var result = await RequestAsync("chat", new { model = OpenAiSiloFixture.Pack, messages = Conversation, max_tokens = 5, temperature = 0, logprobs = true, top_logprobs = 3 });
        var choice = result.GetProperty("choices")[0];
        var content = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(5, content.Count);
        var bytes = new List<byte>();
        foreach (var entry in content)
        {
            var logprob = entry.GetProperty("logprob").GetDouble();
            var top = entry.GetProperty("top_logprobs").EnumerateArray().Select(t => (Token: t.GetProperty("token").GetString(), LogProb: t.GetProperty("logprob").GetDouble())).ToList();
            Assert.Equal(3, top.Count);
            Assert.True(logprob <= 0, $"log-probability {logprob} > 0");
            Assert.True(top[0].LogProb >= top[1].LogProb && top[1].LogProb >= top[2].LogProb, "top_logprobs are not most likely first");
            Assert.Equal(top[0].Token, entry.GetProperty("token").GetString()); // greedy: the chosen token is the fused argmax
            Assert.Equal(top[0].LogProb, logprob, 5);
            Assert.True(Math.Exp(top[0].LogProb) + Math.Exp(top[1].LogProb) + Math.Exp(top[2].LogProb) <= 1.0001, "probabilities sum above 1");
            bytes.AddRange(entry.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()));
        }
        Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
    }

    [Fact]
    public async Task Completion_logprobs_use_the_legacy_layout()
    {
        var result = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 4, temperature = 0, logprobs = 2 });
        var logprobs = result.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(4, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(4, logprobs.GetProperty("token_logprobs").GetArrayLength());
        Assert.All(logprobs.GetProperty("top_logprobs").EnumerateArray(), top => Assert.InRange(top.EnumerateObject().Count(), 1, 2));
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
    }

    [Fact]
    public async Task A_stop_string_ends_the_completion_before_it_with_finish_reason_stop()
    {
        var free = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 12, temperature = 0 });
        var text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.True(text.Length >= 8, $"the free completion is too short to cut: '{text}'");
        var stop = text.Substring(text.Length / 2, 3);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 12, temperature = 0, stop = new[] { stop } });
        var choice = stopped.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(expected, choice.GetProperty("text").GetString());

        var streamed = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 12, temperature = 0, stop = stop, stream = true });
        var chunks = streamed.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal(expected, string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal("stop", chunks[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_missing_or_wrong_api_key_is_401_in_the_openai_error_shape()
    {
        var wrong = (await RequestAsync("models", apiKey: "not-the-key")).GetProperty("error");
        Assert.Equal(401, wrong.GetProperty("status").GetInt32());
        Assert.Equal("invalid_api_key", wrong.GetProperty("code").GetString());
        Assert.Contains("not valid", wrong.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var http = new HttpClient();
        using var missing = await http.GetAsync($"{fixture.HttpEndpoint}/v1/models");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, missing.StatusCode);
        var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("authorization: Bearer", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_is_404_naming_the_packs_and_models()
    {
        var error = (await RequestAsync("chat", new { model = "no-such-model", messages = Conversation })).GetProperty("error");
        Assert.Equal(404, error.GetProperty("status").GetInt32());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains(OpenAiSiloFixture.Pack, error.GetProperty("message").GetString(), StringComparison.Ordinal);

        var member = (await RequestAsync("chat", new { model = "x", messages = Conversation, chorus = new { members = new[] { "chatml", "ghost" } } })).GetProperty("error");
        Assert.Equal(404, member.GetProperty("status").GetInt32());
        Assert.Contains("ghost", member.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"n\": 2}", "'n' is 2")]
    [InlineData("{\"temperature\": -1}", "temperature")]
    [InlineData("{\"max_tokens\": \"many\"}", "'max_tokens' must be an integer")]
    [InlineData("{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "messages[0].role")]
    [InlineData("{\"tools\": [{\"type\": \"function\"}]}", "'tools'")]
    public async Task A_request_chorus_cannot_honour_is_400_naming_the_field(string overrides, string expected)
    {
        var body = new Dictionary<string, object?> { ["model"] = OpenAiSiloFixture.Pack, ["messages"] = Conversation, ["max_tokens"] = 2 };
        foreach (var p in JsonDocument.Parse(overrides).RootElement.EnumerateObject()) body[p.Name] = p.Value.Clone();
        var error = (await RequestAsync("chat", body)).GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static string Content(JsonElement chat) => chat.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
}
