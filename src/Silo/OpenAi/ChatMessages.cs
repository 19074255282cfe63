using System.Text;
using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// The <c>messages</c> of a chat request as <see cref="ChatTurn"/>s: content is a string or an array of text parts;
/// <c>developer</c> (OpenAI's newer name for the system role) becomes <c>system</c>. Roles are checked by the validator.
/// </summary>
internal static class ChatMessages
{
    public static ChatTurn[] Read(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "'messages' is required: an array of {\"role\": ..., \"content\": ...}");
        var turns = new ChatTurn[messages.GetArrayLength()];
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw JsonFields.Invalid($"messages[{i}]", "an object with a role and a content");
            var role = JsonFields.String(m, "role") ?? throw JsonFields.Invalid($"messages[{i}].role", "a string (system, user or assistant)");
            turns[i] = new ChatTurn(role == "developer" ? "system" : role, Content(m, i));
            i++;
        }
        return turns;
    }

    private static string Content(JsonElement message, int index)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw JsonFields.Invalid($"messages[{index}].content", "a string or an array of text parts");
        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || JsonFields.String(part, "type") != "text")
                throw new ChorusException(ChorusErrorKind.InvalidArgument, $"messages[{index}].content has a part that is not text; Chorus serves text models: send {{\"type\": \"text\", \"text\": ...}} parts only");
            text.Append(JsonFields.String(part, "text"));
        }
        return text.ToString();
    }
}
