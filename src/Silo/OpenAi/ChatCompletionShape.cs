using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary><c>/v1/chat/completions</c>: an assistant <c>message</c> (streamed as <c>delta</c>s) and <c>logprobs.content</c> entries.</summary>
internal sealed class ChatCompletionShape : CompletionShape
{
    public static readonly ChatCompletionShape Instance = new();

    public override bool IsChat => true;
    public override string IdPrefix => "chatcmpl-";
    public override string Object => "chat.completion";
    public override string ChunkObject => "chat.completion.chunk";

    public override void WriteText(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", text);
        json.WriteEndObject();
    }

    public override void WriteDelta(Utf8JsonWriter json, string? text, bool first)
    {
        json.WriteStartObject("delta");
        if (first) json.WriteString("role", "assistant");
        if (text is not null) json.WriteString("content", text);
        json.WriteEndObject();
    }

    public override void WriteLogProbs(Utf8JsonWriter json, IReadOnlyList<GeneratedToken> tokens)
    {
        json.WriteStartObject("logprobs");
        json.WriteStartArray("content");
        foreach (var t in tokens)
        {
            if (t.LogProb is not { } lp) continue;
            json.WriteStartObject();
            Entry(json, lp);
            json.WriteStartArray("top_logprobs");
            foreach (var alt in t.TopLogProbs ?? [])
            {
                json.WriteStartObject();
                Entry(json, alt);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Entry(Utf8JsonWriter json, TokenLogProb lp)
    {
        json.WriteString("token", lp.Text);
        json.WriteNumber("logprob", Finite(lp.LogProb));
        WriteBytes(json, lp.Bytes);
    }
}
