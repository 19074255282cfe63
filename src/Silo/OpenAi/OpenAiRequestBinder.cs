using System.Text.Json;
using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Services;
using static Chorus.Silo.OpenAi.JsonFields;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// Reads an OpenAI request body into a <see cref="GenerationRequest"/>: <c>model</c> names a pack or a served model (or
/// <c>chorus.members</c> lists an ad-hoc pack; the rest of <see cref="ChorusExtension"/> carries what only Chorus has), the
/// sampling fields map one to one, and a field Chorus cannot honour
/// (n &gt; 1, echo, tools, an unknown field …) is a 400 that says so rather than being ignored (<see cref="Unsupported"/>).
/// </summary>
internal static class OpenAiRequestBinder
{
    /// <summary>OpenAI's default temperature when a request gives none (a client that wants greedy decoding sends 0).</summary>
    public const double DefaultTemperature = 1.0;

    public static OpenAiRequest Bind(JsonElement body, bool chat, ChorusOptions options, ClusterModelDirectory directory)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "the request body must be a JSON object");
        var model = String(body, "model");
        if (string.IsNullOrWhiteSpace(model))
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "'model' is required: name a pack or a model (GET /v1/models lists them)");
        Unsupported.Check(body, chat);
        var chorus = ChorusExtension.Read(body);
        var members = Members(model, chorus, options, directory);
        var temperature = Number(body, "temperature") ?? DefaultTemperature;
        var seed = Long(body, "seed");
        var sampling = new SamplingSpec(
            (float)temperature,
            Int(body, "top_k") ?? 0,
            (float)(Number(body, "top_p") ?? 1),
            (float)(Number(body, "min_p") ?? 0),
            RequestSeeds.FreshUnlessGiven(seed is { } s ? unchecked((ulong)s) : null))
        {
            RepetitionPenalty = (float)(Number(body, "repetition_penalty") ?? 1),
            PresencePenalty = (float)(Number(body, "presence_penalty") ?? 0),
            FrequencyPenalty = (float)(Number(body, "frequency_penalty") ?? 0),
        };
        var maxTokens = Int(body, "max_completion_tokens") ?? Int(body, "max_tokens") ?? 0;
        if (maxTokens < 0) throw Invalid("max_tokens", "≥ 0");
        var generation = new GenerationRequest(
            members,
            chorus.Method,
            chorus.Parameters,
            chat ? "" : Prompt(body),
            sampling,
            maxTokens,
            Strings(body, "stop"),
            chorus.DeadlineMilliseconds,
            chorus.ShowWeights ?? Bool(body, "show_weights") ?? false,
            chorus.ShowMemberTokens)
        {
            Messages = chat ? ChatMessages.Read(body) : null,
            TopLogProbs = chat ? ChatLogProbs(body) : CompletionLogProbs(body),
            Speculate = chorus.Speculate,
            Drafter = string.IsNullOrWhiteSpace(chorus.Drafter) ? null : chorus.Drafter,
        };
        var stream = Bool(body, "stream") ?? false;
        var includeUsage = Object(body, "stream_options") is { } so && (Bool(so, "include_usage") ?? false);
        return new OpenAiRequest(model, generation, stream, includeUsage);
    }

    private static MemberSelection Members(string model, ChorusExtension chorus, ChorusOptions options, ClusterModelDirectory directory)
    {
        if (chorus.Members is { } listed) return new MemberSelection(null, listed);
        foreach (var pack in options.Packs)
            if (string.Equals(pack.Name, model, StringComparison.Ordinal)) return new MemberSelection(model, []);
        try
        {
            directory.EnsureServed(model);
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.NotFound)
        {
            var packs = string.Join(", ", options.Packs.Select(p => p.Name));
            throw new ChorusException(ChorusErrorKind.NotFound,
                $"the model '{model}' does not exist: it is neither a pack (packs: {(packs.Length > 0 ? packs : "none")}) nor a served model ({e.Message}); GET /v1/models lists both");
        }
        return new MemberSelection(null, [model]);
    }

    private static string Prompt(JsonElement body)
    {
        if (!body.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, "'prompt' is required: send the text to complete");
        if (p.ValueKind == JsonValueKind.String) return p.GetString()!;
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) return p[0].GetString()!;
        throw new ChorusException(ChorusErrorKind.InvalidArgument,
            "'prompt' must be one string (or an array of one string): Chorus completes one prompt per request; token arrays and batches are not supported");
    }

    // completions: logprobs = n (0..5 in OpenAI's API) asks for the chosen token's and the n most likely
    private static int CompletionLogProbs(JsonElement body)
    {
        var n = Int(body, "logprobs");
        if (n is null) return -1;
        return n is >= 0 and <= FusedLogProbsLimit ? n.Value : throw Invalid("logprobs", $"an integer in [0, {FusedLogProbsLimit}]");
    }

    // chat: logprobs = true, and top_logprobs = n (0..20)
    private static int ChatLogProbs(JsonElement body)
    {
        var top = Int(body, "top_logprobs");
        if (Bool(body, "logprobs") != true)
            return top is null ? -1 : throw new ChorusException(ChorusErrorKind.InvalidArgument, "'top_logprobs' needs 'logprobs': true");
        return top is null ? 0 : top is >= 0 and <= FusedLogProbsLimit ? top.Value : throw Invalid("top_logprobs", $"an integer in [0, {FusedLogProbsLimit}]");
    }

    private const int FusedLogProbsLimit = 20;
}
