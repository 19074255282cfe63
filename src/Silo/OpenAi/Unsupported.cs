using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// OpenAI request fields Chorus cannot honour: a value that would change the answer is refused with a 400 naming the
/// field, so a client never silently gets something else than it asked for. Neutral values (n = 1, an empty logit_bias)
/// pass. A field Chorus does not know at all is refused too — it may change the answer in the server the client was
/// written for (vLLM's min_tokens, ignore_eos, stop_token_ids …) — except the few that only label or bill a request.
/// </summary>
internal static class Unsupported
{
    // read by OpenAiRequestBinder (or checked below); "prompt" and "messages" belong to one route each
    private static readonly HashSet<string> Applied = new(StringComparer.Ordinal)
    {
        "model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop", "stream",
        "stream_options", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "repetition_penalty", "chorus",
        "show_weights", "n", "best_of", "echo", "suffix", "logit_bias", "tools", "functions", "tool_choice", "function_call",
        "response_format",
    };

    // they do not change the text: an end-user id, the caller's labels, storage and billing preferences, and tool-call
    // parallelism (tools themselves are refused)
    private static readonly HashSet<string> Neutral = new(StringComparer.Ordinal)
    {
        "user", "metadata", "store", "service_tier", "parallel_tool_calls",
    };

    private static readonly Dictionary<string, string> KnownElsewhere = new(StringComparer.Ordinal)
    {
        ["min_tokens"] = "(vLLM: hold back end-of-generation for the first n tokens) is not applied by Chorus; leave it out",
        ["ignore_eos"] = "(vLLM: generate past end-of-generation) is not applied by Chorus; leave it out and set max_tokens",
        ["stop_token_ids"] = "(vLLM: stop at these token ids) is not applied by Chorus: token ids differ between the members' vocabularies; send stop strings in 'stop'",
        ["include_stop_str_in_output"] = "(vLLM) is not applied by Chorus: stop strings are never included; leave it out",
        ["skip_special_tokens"] = "(vLLM) is not applied by Chorus: special tokens are never printed; leave it out",
        ["use_beam_search"] = "(vLLM) is not applied by Chorus: one sampled or greedy path per request; leave it out",
        ["length_penalty"] = "(vLLM beam search) is not applied by Chorus; leave it out",
    };

    private static readonly HashSet<string> CompletionsOnly = new(StringComparer.Ordinal) { "prompt", "best_of", "echo", "suffix" };

    public static void Check(JsonElement body, bool chat)
    {
        foreach (var field in body.EnumerateObject())
        {
            var name = field.Name;
            if (field.Value.ValueKind == JsonValueKind.Null) continue; // an explicit null asks for the default
            if (chat && CompletionsOnly.Contains(name)) throw Refuse(name, "belongs to POST /v1/completions; a chat sends 'messages' and leaves it out");
            if (!chat && name == "messages") throw Refuse(name, "belongs to POST /v1/chat/completions; a completion sends 'prompt'");
            if (Applied.Contains(name) || Neutral.Contains(name) || name is "prompt" or "messages") continue;
            if (KnownElsewhere.TryGetValue(name, out var why)) throw Refuse(name, why);
            throw Refuse(name, "is not a field Chorus applies, and it may change the answer, so it is refused rather than ignored; leave it out (docs/openai.md lists the fields)");
        }
        if (JsonFields.Int(body, "n") is { } n && n != 1)
            throw Refuse("n", $"is {n}; Chorus returns one choice per request: send n = 1 (or leave it out) and make several requests for several choices");
        if (!chat && JsonFields.Int(body, "best_of") is { } bestOf && bestOf != 1)
            throw Refuse("best_of", "is not supported; leave it out");
        if (!chat && JsonFields.Bool(body, "echo") == true)
            throw Refuse("echo", "is not supported; leave it out (the prompt is yours already)");
        if (!chat && JsonFields.Has(body, "suffix"))
            throw Refuse("suffix", "is not supported (no fill-in-the-middle); leave it out");
        if (JsonFields.Object(body, "logit_bias") is { } bias && bias.EnumerateObject().Any())
            throw Refuse("logit_bias", "is not supported; leave it out");
        foreach (var tools in (string[])["tools", "functions", "tool_choice", "function_call"])
            if (JsonFields.Has(body, tools))
                throw Refuse(tools, "is not supported: Chorus fuses text generation without tool calls; leave it out");
        if (JsonFields.Object(body, "response_format") is { } format && JsonFields.String(format, "type") is { } type && type != "text")
            throw Refuse("response_format", $"'{type}' is not supported; only text");
    }

    private static ChorusException Refuse(string field, string why) => new(ChorusErrorKind.InvalidArgument, $"'{field}' {why}") { Field = field };
}
