using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// The request's <c>chorus</c> object through the official openai client: speculation and method parameters reach the
/// session (the text and the reported timings show it), and a field the object does not know is a 400 naming it.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ChorusExtensionTests(OpenAiSiloFixture fixture)
{
    private const string Prompt = "The river ran past the old mill and";
    private const int Tokens = 24;

    // two members of one vocabulary (llama-spm), so the main member drafts for both
    private static readonly string[] Members = ["plain", "chatml"];

    private Task<JsonElement> RequestAsync(string kind, object body) =>
        NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey, body, kind);

    private static object Completion(object chorus, bool stream = false) =>
        new { model = "spec-duet", prompt = Prompt, max_tokens = Tokens, temperature = 0, stream, chorus };

    [Fact]
    public async Task Speculation_over_http_gives_the_greedy_text_of_plain_decoding()
    {
        var plain = await RequestAsync("completion", Completion(new { members = Members, method = "uniform" }));
        var speculative = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", speculate = 4 }));
        var drafted = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", speculate = 3, drafter = "chatml" }));
        var streamed = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", speculate = 4 }, stream: true));

        var text = Text(plain);
        Assert.Equal(Tokens, plain.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.False(plain.GetProperty("chorus").GetProperty("timings").TryGetProperty("rounds", out _), "plain decoding reported speculative rounds");
        foreach (var result in new[] { speculative, drafted })
        {
            Assert.Equal(text, Text(result));
            var timings = result.GetProperty("chorus").GetProperty("timings");
            var rounds = timings.GetProperty("rounds").GetInt32();
            Assert.True(rounds is > 0 and < Tokens, $"{rounds} rounds for {Tokens} tokens: speculation did not run");
            Assert.True(timings.GetProperty("drafted_tokens").GetInt32() > 0);
            // as gRPC's Timings: every round is drafted, pipelined or plain, and a free guess comes only from a plain round
            var plainRounds = timings.GetProperty("plain_rounds").GetInt32();
            Assert.InRange(plainRounds, 0, rounds);
            Assert.InRange(timings.GetProperty("pipelined_rounds").GetInt32(), 0, rounds);
            Assert.InRange(timings.GetProperty("free_guesses").GetInt32(), 0, plainRounds);
            Assert.InRange(timings.GetProperty("free_guesses_kept").GetInt32(), 0, timings.GetProperty("free_guesses").GetInt32());
            Assert.Contains(timings.GetProperty("speculation_paused").GetString(), new[] { "", "acceptance", "cost" });
        }
        var chunks = streamed.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal(text, string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal("length", chunks[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Speculation_over_http_on_a_pack_of_two_vocabularies_gives_the_greedy_text_of_plain_decoding()
    {
        object Body(int speculate) => new { model = OpenAiSiloFixture.Pack, prompt = Prompt, max_tokens = Tokens, temperature = 0, chorus = new { speculate } };
        var plain = await RequestAsync("completion", Body(0));
        var speculative = await RequestAsync("completion", Body(4));
        Assert.Equal(Text(plain), Text(speculative));
        Assert.True(speculative.GetProperty("chorus").GetProperty("timings").GetProperty("rounds").GetInt32() is > 0 and < Tokens, "speculation did not run");
    }

    [Fact]
    public async Task Method_parameters_over_http_change_the_result()
    {
        var first = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", parameters = new { weights = "1,0" } }));
        var second = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", parameters = new { weights = "0,1" } }));
        var olderName = await RequestAsync("completion", Completion(new { members = Members, method = "uniform", @params = new { weights = "0,1" } }));
        Assert.NotEqual(Text(first), Text(second));
        Assert.Equal(Text(second), Text(olderName));
        // all the weight on one member is that member alone
        Assert.Equal(Text(await RequestAsync("completion", Completion(new { members = new[] { "plain" } }))), Text(first));
        Assert.Equal(Text(await RequestAsync("completion", Completion(new { members = new[] { "chatml" } }))), Text(second));
    }

    [Fact]
    public async Task A_chorus_deadline_ends_the_completion_with_chorus_finish_reason_deadline()
    {
        var result = await RequestAsync("completion", new { model = "plain", prompt = Prompt, max_tokens = 1500, temperature = 0, chorus = new { deadline_ms = 150 } });
        Assert.Equal("deadline", result.GetProperty("chorus").GetProperty("finish_reason").GetString());
        Assert.Equal("length", result.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(result.GetProperty("usage").GetProperty("completion_tokens").GetInt32() < 1500);
    }

    [Theory]
    [InlineData("{\"speculat\": 4}", "chorus.speculat", "is not a field of 'chorus'")]
    [InlineData("{\"speculate\": \"four\"}", "chorus.speculate", "must be an integer")]
    [InlineData("{\"speculate\": 99}", "chorus.speculate", "between 0 (off) and 32")]
    [InlineData("{\"drafter\": \"plain\"}", "chorus.drafter", "only drafts with speculate > 0")]
    [InlineData("{\"deadline_ms\": -1}", "chorus.deadline_ms", "must be ≥ 0")]
    [InlineData("{\"parameters\": {\"weights\": \"1,0\"}, \"params\": {\"weights\": \"0,1\"}}", "chorus.params", "same map under two names")]
    [InlineData("{\"parameters\": {\"weights\": [1, 0]}}", "chorus.parameters.weights", "a string, number or boolean")]
    public async Task A_chorus_field_that_is_unknown_or_wrong_is_400_naming_it(string chorus, string param, string expected)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = "plain", ["prompt"] = Prompt, ["max_tokens"] = 2, ["chorus"] = JsonDocument.Parse(chorus).RootElement.Clone(),
        };
        var client = (await RequestAsync("completion", body)).GetProperty("error");
        Assert.Equal(400, client.GetProperty("status").GetInt32());
        Assert.Contains(expected, client.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (status, _, error) = await HttpApi.PostAsync(fixture, "/v1/completions", body);
        Assert.Equal(400, status);
        Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
    }

    private static string Text(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("text").GetString()!;
}
