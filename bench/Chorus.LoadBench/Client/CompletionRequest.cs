using System.Text.Json;

namespace Chorus.Bench.Load.Client;

/// <summary>One message of a chat, as OpenAI's API carries it.</summary>
internal sealed record ChatMessage(string Role, string Content);

/// <summary>
/// One streamed, greedy request: a prompt for <c>/v1/completions</c>, or a conversation for <c>/v1/chat/completions</c>.
/// <see cref="Class"/> labels it in the report ("short", "long", "turn 3").
/// </summary>
internal sealed record CompletionRequest(string Class, int MaxTokens, string? Prompt, IReadOnlyList<ChatMessage>? Messages)
{
    public bool IsChat => Messages is not null;

    public string Path => IsChat ? "v1/chat/completions" : "v1/completions";

    public static CompletionRequest Completion(string label, string prompt, int maxTokens) => new(label, maxTokens, prompt, null);

    public static CompletionRequest Chat(string label, IReadOnlyList<ChatMessage> messages, int maxTokens) => new(label, maxTokens, null, [.. messages]);

    /// <summary>The JSON body: greedy, streamed, with the usage chunk asked for (both servers send it).</summary>
    public byte[] Body(string model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            if (Messages is { } messages)
            {
                json.WriteStartArray("messages");
                foreach (var m in messages)
                {
                    json.WriteStartObject();
                    json.WriteString("role", m.Role);
                    json.WriteString("content", m.Content);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            else json.WriteString("prompt", Prompt);
            json.WriteNumber("max_tokens", MaxTokens);
            json.WriteNumber("temperature", 0);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
