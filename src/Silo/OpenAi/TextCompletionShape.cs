using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary><c>/v1/completions</c>: <c>text</c> choices and the legacy <c>logprobs</c> layout (tokens, token_logprobs, top_logprobs, text_offset).</summary>
internal sealed class TextCompletionShape : CompletionShape
{
    public static readonly TextCompletionShape Instance = new();

    public override bool IsChat => false;
    public override string IdPrefix => "cmpl-";
    public override string Object => "text_completion";
    public override string ChunkObject => "text_completion";

    public override void WriteText(Utf8JsonWriter json, string text) => json.WriteString("text", text);

    public override void WriteDelta(Utf8JsonWriter json, string? text, bool first) => json.WriteString("text", text ?? "");

    public override void WriteLogProbs(Utf8JsonWriter json, IReadOnlyList<GeneratedToken> tokens)
    {
        json.WriteStartObject("logprobs");
        json.WriteStartArray("tokens");
        foreach (var t in tokens) if (t.LogProb is { } lp) json.WriteStringValue(lp.Text);
        json.WriteEndArray();
        json.WriteStartArray("token_logprobs");
        foreach (var t in tokens) if (t.LogProb is { } lp) json.WriteNumberValue(Finite(lp.LogProb));
        json.WriteEndArray();
        json.WriteStartArray("top_logprobs");
        foreach (var t in tokens)
        {
            if (t.LogProb is null) continue;
            json.WriteStartObject();
            foreach (var alt in t.TopLogProbs ?? []) json.WriteNumber(alt.Text, Finite(alt.LogProb));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("text_offset");
        var offset = 0;
        foreach (var t in tokens)
        {
            if (t.LogProb is not { } lp) continue;
            json.WriteNumberValue(offset);
            offset += lp.Text.Length;
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
