using System.Text.Json;
using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Services;
using Microsoft.AspNetCore.Http;

namespace Chorus.Silo.OpenAi;

/// <summary>An error in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP status.</summary>
internal sealed record OpenAiError(int Status, string Message, string Type, string? Code)
{
    /// <summary>The request field at fault (OpenAI's <c>param</c>), when there is one.</summary>
    public string? Param { get; init; }

    /// <summary>Sent as <c>Retry-After</c> (whole seconds) on 429 and 503: waiting helps there.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// What an exception means for an HTTP client (<see cref="ErrorClassification"/>, shared with gRPC): 400 bad request,
    /// 404 unknown model or pack, 413 a body over the limit, 429 queue full or slots exhausted, 503 no silo serves a member
    /// or the silo drains (both with <c>Retry-After</c>), 504 deadline, 500 a fault.
    /// </summary>
    public static OpenAiError From(Exception e, bool clientGone)
    {
        if (e is RequestBodyTooLargeException tooLarge)
            return new(StatusCodes.Status413PayloadTooLarge, tooLarge.Message, "invalid_request_error", "request_too_large");
        var (kind, message) = ErrorClassification.Classify(e, clientGone);
        return Of(kind, message) with { Param = HttpParam(ErrorAdvice.FieldOf(e)), RetryAfter = ErrorAdvice.RetryAfter(kind) };
    }

    // the validator names gRPC's fields; over HTTP those live in the chorus object
    private static string? HttpParam(string? field) => field is "speculate" or "drafter" or "deadline_ms" or "method" ? "chorus." + field : field;

    private static OpenAiError Of(ChorusErrorKind kind, string message)
    {
        return kind switch
        {
            ChorusErrorKind.InvalidArgument or ChorusErrorKind.OutOfRange => new(StatusCodes.Status400BadRequest, message, "invalid_request_error", null),
            ChorusErrorKind.FailedPrecondition => new(StatusCodes.Status400BadRequest, message, "invalid_request_error", "failed_precondition"),
            ChorusErrorKind.NotFound => new(StatusCodes.Status404NotFound, message, "invalid_request_error", "model_not_found"),
            ChorusErrorKind.ResourceExhausted => new(StatusCodes.Status429TooManyRequests, message, "rate_limit_error", "queue_full"),
            ChorusErrorKind.Unavailable => new(StatusCodes.Status503ServiceUnavailable, message, "server_error", "model_unavailable"),
            ChorusErrorKind.DeadlineExceeded => new(StatusCodes.Status504GatewayTimeout, message, "server_error", "timeout"),
            ChorusErrorKind.Cancelled => new(499, message, "invalid_request_error", "cancelled"),
            _ => new(StatusCodes.Status500InternalServerError, message, "server_error", null),
        };
    }

    /// <summary>401 for a missing or wrong API key, as OpenAI answers it.</summary>
    public static OpenAiError Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message, "invalid_request_error", "invalid_api_key");

    public static OpenAiError NotFound(string message) => new(StatusCodes.Status404NotFound, message, "invalid_request_error", "not_found");

    public bool IsClientError => Status is >= 400 and < 500;

    /// <summary>Writes the error as the whole response (nothing has been sent yet).</summary>
    public async Task WriteAsync(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfter is { } wait) response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // a body of known length: a client that is still sending (a body over the limit) can read the whole answer
        var body = new System.Buffers.ArrayBufferWriter<byte>();
        await using (var json = new Utf8JsonWriter(body, OpenAiJson.Writer)) WriteTo(json);
        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory);
    }

    /// <summary>The <c>{"error": …}</c> object (also the payload of an SSE event when a stream fails after it began).</summary>
    public void WriteTo(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        if (Param is null) json.WriteNull("param");
        else json.WriteString("param", Param);
        if (Code is null) json.WriteNull("code");
        else json.WriteString("code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
