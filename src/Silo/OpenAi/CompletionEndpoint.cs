using System.Text.Json;
using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// <c>POST /v1/completions</c> and <c>POST /v1/chat/completions</c>: a thin adapter like the gRPC service — bind and check
/// the request (<see cref="RequestValidator"/>, the same rules as gRPC), run the fused generation, answer as one JSON body
/// or as server-sent events. Errors before the first byte get their HTTP status; a stream that fails later ends with an
/// error event. A client that disconnects cancels the session, which frees its slots.
/// </summary>
internal sealed class CompletionEndpoint(
    IGrainFactory grains, ClusterModelDirectory directory, IOptions<ChorusOptions> options, SiloDrain drain, ILocalSiloDetails silo, ILogger<CompletionEndpoint> logger,
    GenerationTelemetry telemetry)
{
    public async Task HandleAsync(HttpContext context, CompletionShape shape)
    {
        var ct = context.RequestAborted;
        var events = new ServerSentEvents(context.Response);
        try
        {
            RequestBodyLimit.Apply(context, options.Value.Sessions);
            using var body = await ReadBodyAsync(context.Request, options.Value.Sessions, ct);
            var request = OpenAiRequestBinder.Bind(body.RootElement, shape.IsChat, options.Value, directory);
            RequestValidator.Check(request.Generation, options.Value.Sessions);
            var response = new CompletionResponse(shape, request);
            // a stopping silo takes no new sessions and waits for these (Chorus:Sessions:DrainSeconds); when the drain time
            // runs out it cancels the session, never a write, so the client still reads why (503 below)
            using var drained = drain.Enter(silo.SiloAddress.ToString());
            using var session = CancellationTokenSource.CreateLinkedTokenSource(ct, drain.Expired);
            var generation = FusedGeneration.RunAsync(grains, telemetry, request.Generation, context.TraceIdentifier, logger, session.Token);
            if (request.Stream) await StreamAsync(generation, response, request, events, ct);
            else await RespondAsync(context.Response, generation, response, ct);
        }
        catch (Exception e) when (drain.CutShort(e, ct))
        {
            var error = OpenAiError.From(SiloDrain.RanOut(silo.SiloAddress.ToString(), options.Value.Sessions.DrainSeconds), clientGone: false);
            logger.LogInformation("{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
            if (events.Started) await events.WriteAsync(error.WriteTo, CancellationToken.None);
            else if (!context.Response.HasStarted) await error.WriteAsync(context.Response);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // the client has gone: nobody to answer; the session was ended on the way out
            logger.LogDebug("{Path}: the client disconnected", context.Request.Path.Value);
        }
        catch (Exception e)
        {
            var error = OpenAiError.From(e, clientGone: false);
            if (error.IsClientError) logger.LogInformation("{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
            else logger.LogError(e, "{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
            if (events.Started) await events.WriteAsync(error.WriteTo, CancellationToken.None);
            else if (!context.Response.HasStarted) await error.WriteAsync(context.Response);
        }
    }

    private static async Task RespondAsync(HttpResponse http, IAsyncEnumerable<GenerationEvent> generation, CompletionResponse response, CancellationToken ct)
    {
        GenerationStarted? started = null;
        var tokens = new List<GeneratedToken>();
        await foreach (var e in generation.WithCancellation(ct))
        {
            switch (e)
            {
                case GenerationStarted s:
                    started = s;
                    response.Started(s);
                    break;
                case GeneratedToken t:
                    tokens.Add(t);
                    break;
                case GenerationFinished f:
                    http.ContentType = "application/json";
                    await using (var json = new Utf8JsonWriter(http.Body, OpenAiJson.Writer))
                    {
                        response.WriteWhole(json, started, tokens, f);
                        await json.FlushAsync(ct);
                    }
                    return;
            }
        }
    }

    private static async Task StreamAsync(IAsyncEnumerable<GenerationEvent> generation, CompletionResponse response, OpenAiRequest request,
        ServerSentEvents events, CancellationToken ct)
    {
        GenerationStarted? started = null;
        await foreach (var e in generation.WithCancellation(ct))
        {
            switch (e)
            {
                case GenerationStarted s:
                    // headers go out only now: an error while queueing or prefilling still gets its own status code
                    started = s;
                    response.Started(s);
                    await events.StartAsync(ct);
                    if (request.Generation.Messages is not null) await events.WriteAsync(json => response.WriteChunk(json, "", first: true, null), ct);
                    break;
                case GeneratedToken t when t.Text.Length > 0 || t.LogProb is not null:
                    await events.WriteAsync(json => response.WriteChunk(json, t.Text, first: false, t), ct);
                    break;
                case GenerationFinished f:
                    if (!events.Started) await events.StartAsync(ct);
                    await events.WriteAsync(json => response.WriteFinalChunk(json, started, f), ct);
                    if (request.IncludeUsage) await events.WriteAsync(json => response.WriteUsageChunk(json, f), ct);
                    await events.WriteDoneAsync(ct);
                    return;
            }
        }
    }

    private static async Task<JsonDocument> ReadBodyAsync(HttpRequest request, Grains.SessionOptions limits, CancellationToken ct)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RequestBodyTooLargeException(RequestBodyLimit.For(limits), limits.MaxTextBytes, e);
        }
        catch (JsonException e)
        {
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"the request body is not valid JSON ({e.Message}); send a JSON object");
        }
    }
}
