using System.Net.Sockets;
using System.Text;
using Chorus.Api;
using Chorus.Client.Cluster;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// The API's contract beyond generation, on a real silo: unknown OpenAI fields refused by name, one seed rule for every
/// front end, Retry-After and google.rpc details on errors, 413 for an oversized body, packs, methods and the finish
/// reason enum in the gRPC replies.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ApiContractTests(OpenAiSiloFixture fixture)
{
    [Theory]
    [InlineData("/v1/completions", "min_tokens", "4")]
    [InlineData("/v1/completions", "ignore_eos", "true")]
    [InlineData("/v1/chat/completions", "stop_token_ids", "[2]")]
    [InlineData("/v1/chat/completions", "frobnicate", "{\"a\": 1}")]
    [InlineData("/v1/chat/completions", "prompt", "\"x\"")]
    [InlineData("/v1/completions", "messages", "[]")]
    public async Task A_field_chorus_does_not_apply_is_a_400_naming_it(string path, string field, string json)
    {
        var body = System.Text.Json.JsonDocument.Parse($"{{\"{field}\": {json}}}").RootElement;
        var (status, _, error) = await HttpApi.PostAsync(fixture, path, Merge(path, field, body.GetProperty(field)));
        Assert.Equal(400, status);
        Assert.Equal(field, error.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains($"'{field}'", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_that_only_label_a_request_are_accepted()
    {
        var (status, _, body) = await HttpApi.PostAsync(fixture, "/v1/completions",
            new { model = "plain", prompt = "Once", max_tokens = 2, user = "u-1", metadata = new { team = "a" }, store = false });
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task Without_a_seed_every_front_end_draws_a_fresh_one_and_with_one_repeats_itself()
    {
        // gRPC
        Assert.NotEqual(await GrpcTextAsync(seed: null), await GrpcTextAsync(seed: null));
        Assert.Equal(await GrpcTextAsync(seed: 7), await GrpcTextAsync(seed: 7));
        // HTTP
        Assert.NotEqual(await HttpTextAsync(seed: null), await HttpTextAsync(seed: null));
        Assert.Equal(await HttpTextAsync(seed: 7), await HttpTextAsync(seed: 7));
        // IChatClient
        IChatClient chat = fixture.Client;
        var options = new ChatOptions { ModelId = "plain", Temperature = 1, MaxOutputTokens = 16 };
        var first = await chat.GetResponseAsync([new AiChatMessage(ChatRole.User, "Tell me")], options);
        var second = await chat.GetResponseAsync([new AiChatMessage(ChatRole.User, "Tell me")], options);
        Assert.NotEqual(first.Text, second.Text);
        var seeded = options.Clone();
        seeded.Seed = 7;
        Assert.Equal((await chat.GetResponseAsync([new AiChatMessage(ChatRole.User, "Tell me")], seeded)).Text,
            (await chat.GetResponseAsync([new AiChatMessage(ChatRole.User, "Tell me")], seeded)).Text);
    }

    [Fact]
    public async Task A_503_says_when_to_retry_over_http_and_grpc()
    {
        var (status, headers, _) = await HttpApi.PostAsync(fixture, "/v1/completions", new { model = OpenAiSiloFixture.UnservedModel, prompt = "x", max_tokens = 2 });
        Assert.Equal(503, status);
        Assert.Equal(TimeSpan.FromSeconds(2), headers.RetryAfter?.Delta);

        using var noRetry = new ChorusApiClient(GrpcChannel.ForAddress(fixture.Silo.Endpoint), OpenAiSiloFixture.ApiKey);
        var request = new GenerateRequest { Members = new Members { Models = { OpenAiSiloFixture.UnservedModel } }, Prompt = "x" };
        var e = await Assert.ThrowsAsync<RpcException>(async () => { await foreach (var _ in noRetry.GenerateAsync(request)) { } });
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), e.GetRpcStatus()!.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan());
    }

    [Fact]
    public async Task An_invalid_field_comes_back_as_a_grpc_BadRequest_naming_it()
    {
        using var noRetry = new ChorusApiClient(GrpcChannel.ForAddress(fixture.Silo.Endpoint), OpenAiSiloFixture.ApiKey);
        var request = new GenerateRequest { Members = new Members { Pack = OpenAiSiloFixture.Pack }, Prompt = "x", Sampling = new Sampling { PresencePenalty = 5 } };
        var e = await Assert.ThrowsAsync<RpcException>(async () => { await foreach (var _ in noRetry.GenerateAsync(request)) { } });
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("presence_penalty", violation.Field);
        Assert.Contains("[-2, 2]", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_40_MB_chat_body_is_413_in_openai_shape_naming_the_limit()
    {
        // a raw socket: the server answers after the headers and the first bytes, without reading 40 MB
        var uri = new Uri(fixture.HttpEndpoint);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        await using var stream = tcp.GetStream();
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {OpenAiSiloFixture.ApiKey}\r\n" +
            "Content-Type: application/json\r\nContent-Length: 40000000\r\n\r\n{\"model\": \"plain\", \"messages\": [{\"role\": \"user\", \"content\": \"";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[64 * 1024].Select(_ => (byte)'a').ToArray());
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var status = await reader.ReadLineAsync();
        Assert.StartsWith("HTTP/1.1 413", status, StringComparison.Ordinal);
        string? line;
        var length = 0;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // Content-Length counts UTF-8 bytes ("×" is two): read characters until that many bytes
        var body = new StringBuilder();
        var one = new char[1];
        for (var bytes = 0; bytes < length && await reader.ReadAsync(one) == 1; bytes += Encoding.UTF8.GetByteCount(one)) body.Append(one[0]);
        var error = System.Text.Json.JsonDocument.Parse(body.ToString()).RootElement.GetProperty("error");
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        var limit = 4L * (1 << 20) + 64 * 1024; // the default Chorus:Sessions:MaxTextBytes of 1 MiB
        Assert.Contains($"larger than {limit} bytes", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Chorus:Sessions:MaxTextBytes", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListModels_lists_the_packs_and_every_method_and_Finished_carries_the_reason_as_an_enum()
    {
        var reply = await fixture.Client.ListModelsReplyAsync();
        var pack = reply.Packs.Single(p => p.Name == OpenAiSiloFixture.Pack);
        Assert.Equal(OpenAiSiloFixture.PackMethod, pack.Method);
        Assert.Equal(OpenAiSiloFixture.PackMembers, pack.Members.Select(m => m.Model));
        Assert.Equal(Fusion.FusionMethods.Names, reply.Methods.Select(m => m.Name));
        Assert.Contains("online", reply.Methods.Select(m => m.Name));

        Finished? finished = null;
        await foreach (var e in fixture.Client.GenerateAsync(new GenerateRequest { Members = new Members { Models = { "plain" } }, Prompt = "Once", Limits = new Limits { MaxTokens = 3 } }))
            finished = e.Finished ?? finished;
        Assert.Equal(finished!.Reason == "eog" ? FinishReason.Eog : FinishReason.MaxTokens, finished.FinishReason);
    }

    private async Task<string> GrpcTextAsync(ulong? seed)
    {
        var request = new GenerateRequest { Members = new Members { Models = { "plain" } }, Prompt = "Once upon a time", Sampling = new Sampling { Temperature = 1 }, Limits = new Limits { MaxTokens = 16 } };
        if (seed is { } s) request.Sampling.Seed = s;
        await foreach (var e in fixture.Client.GenerateAsync(request))
            if (e.Finished is { } f) return f.Text;
        throw new InvalidOperationException("no Finished event");
    }

    private async Task<string> HttpTextAsync(long? seed)
    {
        var (status, _, body) = await HttpApi.PostAsync(fixture, "/v1/completions", seed is { } s
            ? new { model = "plain", prompt = "Once upon a time", max_tokens = 16, temperature = 1.0, seed = s }
            : (object)new { model = "plain", prompt = "Once upon a time", max_tokens = 16, temperature = 1.0 });
        Assert.True(status == 200, body.ToString());
        return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    private static Dictionary<string, object> Merge(string path, string field, System.Text.Json.JsonElement value)
    {
        var body = new Dictionary<string, object> { ["model"] = "plain", ["max_tokens"] = 2 };
        if (path.Contains("chat", StringComparison.Ordinal)) body["messages"] = new[] { new { role = "user", content = "hi" } };
        else body["prompt"] = "hi";
        body[field] = value;
        return body;
    }
}
