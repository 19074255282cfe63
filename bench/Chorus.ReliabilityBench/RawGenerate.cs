using Chorus.Api;
using Google.Protobuf;
using Grpc.Core;

namespace Chorus.Bench.Reliability;

/// <summary>
/// A Generate call whose request bytes are written by hand, so that the prompt (field 4) can be what no well-behaved
/// client library would send: bytes that are not UTF-8.
/// </summary>
internal static class RawGenerate
{
    private static readonly Marshaller<byte[]> Identity = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> Generate = new(MethodType.ServerStreaming, "chorus.v1.Chorus", "Generate", Identity, Identity);

    /// <summary>GenerateRequest{members, prompt = <paramref name="promptBytes"/>, limits.max_tokens} as raw protobuf.</summary>
    public static byte[] Request(IEnumerable<string> models, ReadOnlySpan<byte> promptBytes, int maxTokens)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(GenerateRequest.MembersFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(new Members { Models = { models } }.ToByteString());
        output.WriteTag(GenerateRequest.PromptFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(promptBytes));
        output.WriteTag(GenerateRequest.LimitsFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(new Limits { MaxTokens = maxTokens }.ToByteString());
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>Sends the bytes and reads the stream to its end: the status, and the first event or error's time.</summary>
    public static async Task<(StatusCode Status, string Detail, double FirstAnswerMs)> CallAsync(CallInvoker invoker, byte[] request, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double? first = null;
        try
        {
            using var call = invoker.AsyncServerStreamingCall(Generate, null, new CallOptions(deadline: DateTime.UtcNow + timeout), request);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                first ??= clock.Elapsed.TotalMilliseconds;
                _ = GenerateEvent.Parser.ParseFrom(call.ResponseStream.Current); // a well-formed event, or this throws
            }
            var status = call.GetStatus();
            return (status.StatusCode, status.Detail, first ?? clock.Elapsed.TotalMilliseconds);
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail, first ?? clock.Elapsed.TotalMilliseconds);
        }
    }
}
