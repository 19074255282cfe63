using System.Diagnostics;
using System.Text;
using Chorus.Api;
using Chorus.Silo.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// Hostile and careless requests over real gRPC against a real silo process: invalid UTF-8 on the wire, out-of-range
/// sampling values and oversized texts are InvalidArgument that name the field, are logged as one Information line, and
/// leave the silo serving.
/// </summary>
public sealed class MalformedRequestTests(SingleSiloFixture fixture, ITestOutputHelper output) : IClassFixture<SingleSiloFixture>
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> RawGenerate = new(MethodType.ServerStreaming, "chorus.v1.Chorus", "Generate", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> RawTokenize = new(MethodType.Unary, "chorus.v1.Chorus", "Tokenize", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> RawReflection = new(MethodType.DuplexStreaming, "grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", Bytes, Bytes);
    private static readonly byte[] Model = Encoding.UTF8.GetBytes("a");

    [Fact]
    public async Task Invalid_utf8_in_the_prompt_names_the_field_and_byte_offset()
    {
        var request = Generate(prompt: [.. "Hello"u8, 0xFF, .. "world"u8]);

        var e = await RawGenerateFailsAsync(request);

        AssertInvalid(e, "field 'prompt' is not valid UTF-8", "byte 0xFF at offset 5");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Invalid_utf8_in_a_stop_string_names_the_field_and_byte_offset()
    {
        var limits = Concat(Field(2, "ok"u8), Field(2, [(byte)'a', 0xC3, (byte)'(']));
        var request = Generate(prompt: "Once upon a time"u8, limits: limits);

        var e = await RawGenerateFailsAsync(request);

        AssertInvalid(e, "field 'limits.stop[1]' is not valid UTF-8", "byte 0xC3 at offset 1");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Invalid_utf8_in_a_model_id_names_the_field_and_byte_offset()
    {
        var request = Generate(prompt: "Once upon a time"u8, models: [Model, [0xE2, 0x82]]);

        var e = await RawGenerateFailsAsync(request);

        AssertInvalid(e, "field 'members.models[1]' is not valid UTF-8", "byte 0xE2 at offset 0");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Invalid_utf8_in_a_unary_request_names_the_field()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Silo.Endpoint);
        var request = Concat(Field(1, Model), Field(2, [.. "abc"u8, 0xC0, 0x80]));

        var e = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().AsyncUnaryCall(RawTokenize, null, Deadline(), request).ResponseAsync);

        AssertInvalid(e, "field 'text' is not valid UTF-8", "byte 0xC0 at offset 3");
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("top_p NaN", "top_p")]
    [InlineData("top_p -0.5", "top_p")]
    [InlineData("temperature NaN", "temperature")]
    [InlineData("min_p 2", "min_p")]
    [InlineData("top_k -1", "top_k")]
    [InlineData("max_tokens -5", "max_tokens")]
    [InlineData("deadline_ms -1", "deadline_ms")]
    public async Task Out_of_range_sampling_values_are_InvalidArgument(string value, string field)
    {
        var request = new GenerateRequest { Members = new Members { Models = { "a" } }, Prompt = "Once upon a time", Sampling = new Sampling(), Limits = new Limits { MaxTokens = 4 } };
        switch (value)
        {
            case "top_p NaN": request.Sampling.TopP = float.NaN; break;
            case "top_p -0.5": request.Sampling.TopP = -0.5f; break;
            case "temperature NaN": request.Sampling.Temperature = float.NaN; break;
            case "min_p 2": request.Sampling.MinP = 2; break;
            case "top_k -1": request.Sampling.TopK = -1; break;
            case "max_tokens -5": request.Limits.MaxTokens = -5; break;
            case "deadline_ms -1": request.Limits.DeadlineMs = -1; break;
            default: throw new ArgumentOutOfRangeException(nameof(value), value, "no such case");
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(request));

        AssertInvalid(e, field, value.Split(' ')[1]);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_3_MB_text_is_rejected_before_any_model_sees_it()
    {
        var huge = new string('x', 3 << 20);
        var members = new Members { Models = { "untouched" } };

        var generate = await RejectedAsync(() => GenerateAsync(new GenerateRequest { Members = members, Prompt = huge }));
        var score = await RejectedAsync(() => fixture.Client.ScoreAsync(new Api.ScoreRequest { Members = members, Text = huge }));
        var tokenize = await RejectedAsync(() => fixture.Client.TokenizeAsync("untouched", huge));
        var logits = await RejectedAsync(() => fixture.Client.Raw.StepLogitsAsync(new StepLogitsRequest { Model = "untouched", Context = huge }).ResponseAsync);

        AssertInvalid(generate, "prompt", $"{3 << 20} bytes", "MaxTextBytes");
        AssertInvalid(score, "text", $"{3 << 20} bytes");
        AssertInvalid(tokenize, "text", $"{3 << 20} bytes");
        AssertInvalid(logits, "context", $"{3 << 20} bytes");
        // the model's grain activates (and logs so) on its first call: it never got one, so nothing was tokenized
        Assert.DoesNotContain("model untouched active", fixture.Silo.Log, StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Client_errors_are_logged_as_one_information_line_without_a_stack_trace()
    {
        await RawGenerateFailsAsync(Generate(prompt: [0xFF]));
        await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(new GenerateRequest { Members = new Members { Models = { "a" } }, Prompt = "x", Sampling = new Sampling { TopP = float.NaN } }));
        await AssertStillServesAsync();

        var log = fixture.Silo.Log;
        output.WriteLine(log);
        Assert.Contains("info: Chorus.Silo.Services.ErrorTranslationInterceptor[", log, StringComparison.Ordinal);
        Assert.Contains("/chorus.v1.Chorus/Generate → InvalidArgument: field 'prompt' is not valid UTF-8", log, StringComparison.Ordinal);
        Assert.Contains("/chorus.v1.Chorus/Generate → InvalidArgument: top_p", log, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
        // Chorus's own entries: one line each, no exception. (ASP.NET Core's gRPC handler may log, at information, a client
        // of another test that reset its upload — "Error reading message. System.IO.IOException" — which is not ours.)
        var ours = LogEntries(log).Where(e => e.Contains(": Chorus.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, e => Assert.DoesNotContain("Exception", e, StringComparison.Ordinal));
        Assert.All(ours, e => Assert.DoesNotContain("   at ", e, StringComparison.Ordinal));
    }

    // a console log entry starts with its timestamp and level; the lines up to the next entry (a stack trace) belong to it
    private static IEnumerable<string> LogEntries(string log) =>
        System.Text.RegularExpressions.Regex.Split(log, @"(?m)^(?=.*?\d{4}-\d\d-\d\dT[\d:.]+Z (?:trce|dbug|info|warn|fail|crit): )")
            .Where(e => e.Length > 0);

    [Fact]
    public async Task The_checked_binding_leaves_the_service_listed_by_reflection()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Silo.Endpoint);
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(RawReflection, null, Deadline());

        await call.RequestStream.WriteAsync(Field(7, "*"u8)); // list_services
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Contains("chorus.v1.Chorus", Encoding.UTF8.GetString(call.ResponseStream.Current), StringComparison.Ordinal);
    }

    private static void AssertInvalid(RpcException e, params string[] expected)
    {
        Assert.True(e.StatusCode == StatusCode.InvalidArgument, $"{e.StatusCode}: {e.Status.Detail}");
        foreach (var part in expected) Assert.Contains(part, e.Status.Detail, StringComparison.Ordinal);
    }

    // how long the rejection took is written out, not asserted (a 3 MB message over loopback on a busy 2-core machine
    // took 1.06 s once): that no model saw the text is what the test asserts, from the silo's log
    private async Task<RpcException> RejectedAsync(Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RpcException>(call);
        output.WriteLine($"{e.StatusCode} after {clock.ElapsedMilliseconds} ms: {e.Status.Detail}");
        return e;
    }

    private async Task<RpcException> RawGenerateFailsAsync(byte[] request)
    {
        using var channel = GrpcChannel.ForAddress(fixture.Silo.Endpoint);
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(RawGenerate, null, Deadline(), request);
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        });
    }

    private async Task<List<GenerateEvent>> GenerateAsync(GenerateRequest request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<GenerateEvent>();
        await foreach (var e in fixture.Client.GenerateAsync(request, timeout.Token)) events.Add(e);
        return events;
    }

    private async Task AssertStillServesAsync()
    {
        var events = await GenerateAsync(new GenerateRequest { Members = new Members { Models = { "a" } }, Prompt = "Once upon a time", Limits = new Limits { MaxTokens = 3 } });
        Assert.Equal(3, events[^1].Finished.Usage.CompletionTokens);
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(30));

    // GenerateRequest on the wire: members = 1 { models = 2 }, prompt = 4, limits = 6
    private static byte[] Generate(ReadOnlySpan<byte> prompt, byte[][]? models = null, byte[]? limits = null)
    {
        var members = Concat([.. (models ?? [Model]).Select(m => Field(2, m))]);
        return Concat(Field(1, members), Field(4, prompt), limits is null ? [] : Field(6, limits));
    }

    private static byte[] Field(int number, ReadOnlySpan<byte> value)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return buffer.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
