using System.Text.Encodings.Web;
using System.Text.Json;

namespace Chorus.Silo.OpenAi;

/// <summary>How responses are written: UTF-8 text as is (a token such as "ráz" stays readable; the body is JSON, never HTML).</summary>
internal static class OpenAiJson
{
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
