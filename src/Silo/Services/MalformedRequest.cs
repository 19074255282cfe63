using System.Buffers;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Chorus.Silo.Services;

/// <summary>
/// Why a request could not be parsed, in the client's terms: the first string field (nested messages, repeated fields and
/// maps included) that is not valid UTF-8, with the offending byte and its offset; otherwise the parser's own reason.
/// Runs only after parsing failed, so it may copy.
/// </summary>
internal static class MalformedRequest
{
    public static string Explain(ReadOnlySequence<byte> payload, MessageDescriptor requestType, Exception parseError) =>
        FirstInvalidString(payload.ToArray(), requestType, path: "")
        ?? $"the request is not a valid {requestType.FullName} message ({parseError.Message}); send a message built from protos/chorus.proto";

    private static string? FirstInvalidString(byte[] message, MessageDescriptor type, string path)
    {
        var occurrences = new Dictionary<int, int>();
        try
        {
            var input = new CodedInputStream(message);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                var field = type.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
                if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                    || field.FieldType is not (FieldType.String or FieldType.Message))
                {
                    input.SkipLastField();
                    continue;
                }
                var name = FieldPath(field, path, occurrences);
                var bytes = input.ReadBytes();
                var problem = field.FieldType == FieldType.String
                    ? InvalidUtf8(bytes.Span, name)
                    : FirstInvalidString(bytes.ToByteArray(), field.MessageType, name);
                if (problem is not null) return problem;
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // malformed beyond its strings: the parser's own message says why
        }
        return null;
    }

    private static string? InvalidUtf8(ReadOnlySpan<byte> text, string field)
    {
        for (var offset = 0; offset < text.Length;)
        {
            if (Rune.DecodeFromUtf8(text[offset..], out _, out var consumed) != OperationStatus.Done)
                return $"field '{field}' is not valid UTF-8: byte 0x{text[offset]:X2} at offset {offset} of the field; send text as UTF-8";
            offset += consumed;
        }
        return null;
    }

    // "prompt", "limits.stop[1]", "members.models[0]", "params[2].value" (a map is a repeated key/value message)
    private static string FieldPath(FieldDescriptor field, string parent, Dictionary<int, int> occurrences)
    {
        var name = parent.Length == 0 ? field.Name : $"{parent}.{field.Name}";
        if (!field.IsRepeated) return name;
        occurrences.TryGetValue(field.FieldNumber, out var index);
        occurrences[field.FieldNumber] = index + 1;
        return $"{name}[{index}]";
    }
}
