using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// What differs between <c>/v1/completions</c> and <c>/v1/chat/completions</c>: the object names, how a choice carries
/// its text (<c>text</c> or <c>message</c>/<c>delta</c>) and the layout of <c>logprobs</c>. The rest of the response is shared.
/// </summary>
internal abstract class CompletionShape
{
    public abstract bool IsChat { get; }
    public abstract string IdPrefix { get; }
    public abstract string Object { get; }
    public abstract string ChunkObject { get; }

    /// <summary>The text of a whole (non-streamed) choice.</summary>
    public abstract void WriteText(Utf8JsonWriter json, string text);

    /// <summary>The text of one streamed chunk; <paramref name="first"/> for the chunk that opens the stream.</summary>
    public abstract void WriteDelta(Utf8JsonWriter json, string? text, bool first);

    /// <summary>The <c>logprobs</c> object of the given tokens (those with a log-probability).</summary>
    public abstract void WriteLogProbs(Utf8JsonWriter json, IReadOnlyList<GeneratedToken> tokens);

    /// <summary>A token the method ruled out has log-probability −∞, which JSON cannot hold: written as −9999, as OpenAI does.</summary>
    protected static float Finite(float logProb) => float.IsFinite(logProb) ? logProb : -9999f;

    protected static void WriteBytes(Utf8JsonWriter json, byte[] bytes)
    {
        json.WriteStartArray("bytes");
        foreach (var b in bytes) json.WriteNumberValue(b);
        json.WriteEndArray();
    }
}
