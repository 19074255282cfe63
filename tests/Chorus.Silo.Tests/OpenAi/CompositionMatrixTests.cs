using System.Text.Json;
using Chorus.Api;
using Grpc.Core;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// The composition matrix through both front ends: each mode (token, speculative, byte) × input (prompt, chat) ×
/// decoding (greedy, seeded sampling, log-probabilities) either works — the same text through HTTP and gRPC, with the
/// log-probabilities asked for — or is refused up front, by both, with the same reason; only byte × logprobs is
/// refused (byte fusion has no token log-probabilities). That the front ends agree, and that nothing fails any other
/// way, is the gateway's.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class CompositionMatrixTests(OpenAiSiloFixture fixture, ITestOutputHelper output)
{
    private const int Tokens = 4;
    private const string Prompt = "The river ran past the old mill and";
    private const string Question = "Where does the river go?";
    private static readonly string[] Members = ["plain", "chatml"];

    public static TheoryData<string, bool, string> Cells()
    {
        var cells = new TheoryData<string, bool, string>();
        foreach (var mode in (string[])["token", "speculate", "byte"])
            foreach (var chat in (bool[])[false, true])
                foreach (var decoding in (string[])["greedy", "seeded", "logprobs"])
                    cells.Add(mode, chat, decoding);
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Every_cell_works_alike_or_is_refused_alike_through_http_and_grpc(string mode, bool chat, string decoding)
    {
        var (status, _, body) = await HttpApi.PostAsync(fixture, chat ? "/v1/chat/completions" : "/v1/completions", HttpBody(mode, chat, decoding));
        string? grpcText = null;
        RpcException? grpcError = null;
        var grpcLogProbs = 0;
        try
        {
            await foreach (var e in fixture.Client.GenerateAsync(GrpcRequest(mode, chat, decoding)))
            {
                if (e.Token?.Logprob is not null) grpcLogProbs++;
                if (e.Finished is { } f) grpcText = f.Text;
            }
        }
        catch (RpcException e)
        {
            grpcError = e;
        }

        // the one refusal of this matrix is inherent: byte fusion draws bytes and has no token log-probabilities
        var inherent = mode == "byte" && decoding == "logprobs";
        Assert.True(inherent == (grpcError is not null), $"{mode} × {(chat ? "chat" : "prompt")} × {decoding}: {grpcError?.Status.Detail ?? "works"}");
        if (grpcError is not null)
        {
            Assert.True(grpcError.StatusCode == StatusCode.InvalidArgument, $"gRPC: {grpcError.StatusCode}: {grpcError.Status.Detail}");
            Assert.True(status == 400, $"gRPC refused ({grpcError.Status.Detail}) but HTTP answered {status}: {body}");
            Assert.Equal(grpcError.Status.Detail, body.GetProperty("error").GetProperty("message").GetString());
            output.WriteLine($"{mode} × {(chat ? "chat" : "prompt")} × {decoding}: refused by both: {grpcError.Status.Detail}");
            return;
        }
        Assert.True(status == 200, $"gRPC generated '{grpcText}' but HTTP answered {status}: {body}");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(grpcText, chat ? choice.GetProperty("message").GetProperty("content").GetString() : choice.GetProperty("text").GetString());
        output.WriteLine($"{mode} × {(chat ? "chat" : "prompt")} × {decoding}: works through both: '{grpcText}'");
        if (decoding != "logprobs") return;
        Assert.True(grpcLogProbs > 0, "gRPC generated without the log-probabilities asked for");
        var logprobs = choice.GetProperty("logprobs");
        Assert.Equal(grpcLogProbs, (chat ? logprobs.GetProperty("content") : logprobs.GetProperty("tokens")).GetArrayLength());
    }

    private static Dictionary<string, object?> HttpBody(string mode, bool chat, string decoding)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = "matrix", ["max_tokens"] = Tokens,
            ["temperature"] = decoding == "seeded" ? 0.8 : 0,
            ["chorus"] = new Dictionary<string, object?>
            {
                ["members"] = Members, ["method"] = mode == "byte" ? "byte" : "uniform", ["speculate"] = mode == "speculate" ? 2 : 0,
            },
        };
        if (decoding == "seeded") body["seed"] = 7;
        if (chat) body["messages"] = new[] { new { role = "user", content = Question } };
        else body["prompt"] = Prompt;
        if (decoding == "logprobs" && chat) (body["logprobs"], body["top_logprobs"]) = (true, 2);
        else if (decoding == "logprobs") body["logprobs"] = 2;
        return body;
    }

    private static GenerateRequest GrpcRequest(string mode, bool chat, string decoding)
    {
        var request = new GenerateRequest
        {
            Members = new Members { Models = { Members } }, Method = mode == "byte" ? "byte" : "uniform", Speculate = mode == "speculate" ? 2 : 0,
            Sampling = new Sampling { Temperature = decoding == "seeded" ? 0.8f : 0 }, Limits = new Limits { MaxTokens = Tokens },
            Logprobs = decoding == "logprobs", TopLogprobs = decoding == "logprobs" ? 2 : 0,
        };
        if (decoding == "seeded") request.Sampling.Seed = 7;
        if (chat) request.Messages.Add(new ChatMessage { Role = "user", Content = Question });
        else request.Prompt = Prompt;
        return request;
    }
}
