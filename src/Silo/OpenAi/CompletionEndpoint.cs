using System.Text.Json;
using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Gateway;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// <c>POST /v1/completions</c> and <c>POST /v1/chat/completions</c>: a thin adapter like the gRPC service — bind the
/// request, run it through the <see cref="GenerationGateway"/> both front ends share (checks, drain, session start and
/// end), answer as one JSON body or as server-sent events. Errors before the first byte get their HTTP status
/// (<see cref="OpenAiError"/>); a stream that fails later ends with an error event. A client that disconnects cancels
/// the session, which frees its slots.
/// </summary>
internal sealed class CompletionEndpoint(ClusterModelDirectory directory, IOptions<ChorusOptions> options, GenerationGateway gateway, ILogger<CompletionEndpoint> logger)
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
            var response = new CompletionResponse(shape, request);
            var generation = gateway.Generate(request.Generation, new GatewayCall(RequestLabels.Http, context.TraceIdentifier, ct));
            if (request.Stream) await StreamAsync(generation, response, request, events, ct);
            else await RespondAsync(context.Response, generation, response, ct);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // the client has gone: nobody to answer; the gateway ended the session on the way out
            logger.LogDebug("{Path}: the client disconnected", context.Request.Path.Value);
        }
        catch (Exception e)
        {
            var error = OpenAiError.From(e, clientGone: false);
            Log(context, error, e);
            if (events.Started) await events.WriteAsync(error.WriteTo, CancellationToken.None);
            else if (!context.Response.HasStarted) await error.WriteAsync(context.Response);
        }
    }

    // as gRPC's: a client's mistake is one line without a stack trace, an unavailable member or a drained silo a warning
    private void Log(HttpContext context, OpenAiError error, Exception e)
    {
        if (error.IsClientError) logger.LogInformation("{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
        else if (error.Status == StatusCodes.Status503ServiceUnavailable) logger.LogWarning("{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
        else logger.LogError(e, "{Path} → {Status}: {Message}", context.Request.Path.Value, error.Status, error.Message);
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
