using System.Text;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>Checks of a conversation: known roles, well-formed text, within the size a prompt may have.</summary>
internal static class ChatRules
{
    /// <summary>The roles every chat template understands.</summary>
    public static readonly string[] Roles = ["system", "user", "assistant"];

    public static void Check(ChatTurn[] messages, string? prompt, SessionOptions limits)
    {
        if (!string.IsNullOrEmpty(prompt))
            throw RequestValidator.Invalid("give either a prompt or messages, not both");
        if (messages.Length == 0)
            throw RequestValidator.Invalid("messages is empty; send at least one message, e.g. {\"role\": \"user\", \"content\": \"Hello\"}");
        var bytes = 0L;
        for (var i = 0; i < messages.Length; i++)
        {
            var m = messages[i] ?? throw RequestValidator.Invalid($"messages[{i}] is null; send objects with a role and a content");
            if (Array.IndexOf(Roles, m.Role) < 0)
                throw RequestValidator.Invalid($"messages[{i}].role is '{m.Role}'; Chorus formats the roles {string.Join(", ", Roles)} (tools and other roles are not supported)");
            TextRules.Text(m.Content, $"messages[{i}].content", limits.MaxTextBytes, required: false);
            bytes += Encoding.UTF8.GetByteCount(m.Content ?? "");
        }
        if (bytes > limits.MaxTextBytes)
            throw RequestValidator.Invalid($"the messages hold {bytes} bytes of UTF-8; at most {limits.MaxTextBytes} are allowed (Chorus:Sessions:MaxTextBytes); send a shorter conversation");
    }
}
