using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// The JSON of one response in OpenAI's layout — a whole completion, or the chunks of a streamed one — plus a
/// <c>chorus</c> object standard clients ignore: the method, each member's role and prompt size (its prompt token ids
/// with <c>chorus.show_member_tokens</c>), Chorus's own finish reason, the session's timings (as gRPC's Finished has them)
/// and, with <c>show_weights</c>, the members' weights.
/// </summary>
internal sealed class CompletionResponse(CompletionShape shape, OpenAiRequest request)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private string _id = shape.IdPrefix + Guid.NewGuid().ToString("N");

    /// <summary>Names the response after the session that produced it.</summary>
    public void Started(GenerationStarted started) => _id = shape.IdPrefix + started.Session.ToString("N");

    public void WriteWhole(Utf8JsonWriter json, GenerationStarted? started, IReadOnlyList<GeneratedToken> tokens, GenerationFinished finished)
    {
        Envelope(json, shape.Object);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        shape.WriteText(json, finished.Text);
        if (request.LogProbs) shape.WriteLogProbs(json, tokens);
        else json.WriteNull("logprobs");
        json.WriteString("finish_reason", FinishReasons.ToOpenAi(finished.Reason));
        json.WriteEndObject();
        json.WriteEndArray();
        Usage(json, finished);
        Chorus(json, started, finished, request.Generation.ShowWeights ? tokens : null);
        json.WriteEndObject();
    }

    /// <summary>A chunk with the text of one token (or the stream's opening chunk when <paramref name="first"/>).</summary>
    public void WriteChunk(Utf8JsonWriter json, string? text, bool first, GeneratedToken? token)
    {
        Envelope(json, shape.ChunkObject);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        shape.WriteDelta(json, text, first);
        if (request.LogProbs && token?.LogProb is not null) shape.WriteLogProbs(json, [token]);
        else json.WriteNull("logprobs");
        json.WriteNull("finish_reason");
        if (request.Generation.ShowWeights && token?.Weights is { } weights)
        {
            json.WriteStartObject("chorus");
            Map(json, "weights", weights);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The chunk that carries the finish reason (and the <c>chorus</c> summary).</summary>
    public void WriteFinalChunk(Utf8JsonWriter json, GenerationStarted? started, GenerationFinished finished)
    {
        Envelope(json, shape.ChunkObject);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        shape.WriteDelta(json, shape.IsChat ? null : "", first: false);
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", FinishReasons.ToOpenAi(finished.Reason));
        json.WriteEndObject();
        json.WriteEndArray();
        Chorus(json, started, finished, null);
        json.WriteEndObject();
    }

    /// <summary>The last chunk when <c>stream_options.include_usage</c> is set: no choices, the usage.</summary>
    public void WriteUsageChunk(Utf8JsonWriter json, GenerationFinished finished)
    {
        Envelope(json, shape.ChunkObject);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        Usage(json, finished);
        json.WriteEndObject();
    }

    private void Envelope(Utf8JsonWriter json, string obj)
    {
        json.WriteStartObject();
        json.WriteString("id", _id);
        json.WriteString("object", obj);
        json.WriteNumber("created", _created);
        json.WriteString("model", request.Model);
    }

    private static void Usage(Utf8JsonWriter json, GenerationFinished finished)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", finished.PromptTokens);
        json.WriteNumber("completion_tokens", finished.CompletionTokens);
        json.WriteNumber("total_tokens", finished.PromptTokens + finished.CompletionTokens);
        json.WriteEndObject();
    }

    private static void Chorus(Utf8JsonWriter json, GenerationStarted? started, GenerationFinished finished, IReadOnlyList<GeneratedToken>? weighted)
    {
        json.WriteStartObject("chorus");
        json.WriteString("finish_reason", finished.Reason);
        json.WriteStartObject("timings");
        json.WriteNumber("prefill_ms", finished.PrefillMilliseconds);
        json.WriteNumber("total_ms", finished.TotalMilliseconds);
        json.WriteNumber("mean_fuse_ms", finished.MeanFuseMilliseconds);
        json.WriteNumber("mean_step_ms", finished.MeanStepMilliseconds);
        if (finished.Rounds > 0)
        {
            // speculation ran (chorus.speculate): as gRPC's Timings have them
            json.WriteNumber("rounds", finished.Rounds);
            json.WriteNumber("drafted_tokens", finished.DraftedTokens);
            json.WriteNumber("accepted_tokens", finished.AcceptedTokens);
            json.WriteNumber("pipelined_rounds", finished.PipelinedRounds);
            json.WriteNumber("plain_rounds", finished.PlainRounds);
            json.WriteString("speculation_paused", finished.SpeculationPaused ?? "");
            json.WriteNumber("free_guesses", finished.FreeGuesses);
            json.WriteNumber("free_guesses_kept", finished.FreeGuessesKept);
        }
        json.WriteEndObject();
        if (started is not null)
        {
            json.WriteString("method", started.Method);
            json.WriteStartArray("members");
            foreach (var m in started.Members)
            {
                json.WriteStartObject();
                json.WriteString("model", m.Model);
                json.WriteString("role", m.Role);
                json.WriteNumber("prompt_tokens", m.PromptTokens);
                if (m.PromptTokenIds is { } ids)
                {
                    json.WriteStartArray("prompt_token_ids");
                    foreach (var id in ids) json.WriteNumberValue(id);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (weighted is not null)
        {
            json.WriteStartArray("weights");
            foreach (var t in weighted)
            {
                if (t.Weights is not { } w) continue;
                json.WriteStartObject();
                foreach (var (model, weight) in w) json.WriteNumber(model, double.IsFinite(weight) ? weight : 0);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void Map(Utf8JsonWriter json, string name, Dictionary<string, double> values)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in values) json.WriteNumber(key, double.IsFinite(value) ? value : 0);
        json.WriteEndObject();
    }
}
