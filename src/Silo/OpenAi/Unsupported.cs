using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// OpenAI request fields Chorus cannot honour: a value that would change the answer is refused with a 400 naming the
/// field, so a client never silently gets something else than it asked for. Neutral values (n = 1, penalties of 0) pass.
/// </summary>
internal static class Unsupported
{
    public static void Check(JsonElement body, bool chat)
    {
        if (JsonFields.Int(body, "n") is { } n && n != 1)
            throw Refuse("n", $"is {n}; Chorus returns one choice per request: send n = 1 (or leave it out) and make several requests for several choices");
        if (!chat && JsonFields.Int(body, "best_of") is { } bestOf && bestOf != 1)
            throw Refuse("best_of", "is not supported; leave it out");
        if (!chat && JsonFields.Bool(body, "echo") == true)
            throw Refuse("echo", "is not supported; leave it out (the prompt is yours already)");
        if (!chat && JsonFields.Has(body, "suffix"))
            throw Refuse("suffix", "is not supported (no fill-in-the-middle); leave it out");
        foreach (var penalty in (string[])["presence_penalty", "frequency_penalty"])
            if (JsonFields.Number(body, penalty) is { } p && p != 0)
                throw Refuse(penalty, "is not supported; send 0 or leave it out");
        if (JsonFields.Object(body, "logit_bias") is { } bias && bias.EnumerateObject().Any())
            throw Refuse("logit_bias", "is not supported; leave it out");
        foreach (var tools in (string[])["tools", "functions", "tool_choice", "function_call"])
            if (JsonFields.Has(body, tools))
                throw Refuse(tools, "is not supported: Chorus fuses text generation without tool calls; leave it out");
        if (JsonFields.Object(body, "response_format") is { } format && JsonFields.String(format, "type") is { } type && type != "text")
            throw Refuse("response_format", $"'{type}' is not supported; only text");
    }

    private static ChorusException Refuse(string field, string why) => new(ChorusErrorKind.InvalidArgument, $"'{field}' {why}");
}
