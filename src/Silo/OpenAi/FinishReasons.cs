namespace Chorus.Silo.OpenAi;

/// <summary>Chorus's end reasons as OpenAI's <c>finish_reason</c>: the model ended or a stop string matched → stop; a limit cut it → length.</summary>
internal static class FinishReasons
{
    public static string ToOpenAi(string reason) => reason switch
    {
        "eog" or "stop" => "stop",
        _ => "length", // max_tokens, length (context full), deadline
    };
}
