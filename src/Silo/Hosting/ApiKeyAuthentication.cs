using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Chorus.Silo;

/// <summary>
/// Lets a request through only with <c>authorization: Bearer &lt;key&gt;</c> naming a key of the <see cref="ApiKeySet"/>,
/// for every front end of the silo: a gRPC call is refused with <c>Unauthenticated</c>, any other HTTP request with
/// 401 and <c>WWW-Authenticate: Bearer</c>. Health checks (gRPC health, <c>/health</c>, <c>/ready</c>, <c>/healthz</c>) stay open for probes.
/// </summary>
internal sealed class ApiKeyAuthentication(RequestDelegate next, ApiKeySet keys, ILogger<ApiKeyAuthentication> logger)
{
    public const string MissingKey = "an API key is required: send the header 'authorization: Bearer <key>'";
    public const string InvalidKey = "the API key is not valid";
    private const string BearerPrefix = "Bearer ";
    private const int GrpcUnauthenticated = 16;

    public async Task InvokeAsync(HttpContext context)
    {
        var key = BearerToken(context.Request.Headers.Authorization.ToString());
        if (IsOpen(context.Request.Path) || (key is not null && keys.Accepts(key)))
        {
            await next(context);
            return;
        }
        var reason = key is null ? MissingKey : InvalidKey;
        logger.LogInformation("refused {Path} from {Remote}: {Reason}", context.Request.Path.Value, context.Connection.RemoteIpAddress, reason);
        if (IsGrpc(context.Request))
        {
            await DrainRequestAsync(context.Request);
            RefuseGrpc(context.Response, reason);
        }
        else if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
            await OpenAi.OpenAiError.Unauthorized(reason).WriteAsync(context.Response); // the OpenAI API's own error shape
        }
        else
            await RefuseHttpAsync(context.Response, reason);
    }

    private static bool IsOpen(PathString path) =>
        path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal) || HealthEndpoints.OpenPaths.Contains(path.Value, StringComparer.Ordinal);

    private static string? BearerToken(string header) =>
        header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) && header.Length > BearerPrefix.Length
            ? header[BearerPrefix.Length..].Trim()
            : null;

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    // Reads what the client already sent (at most 64 KiB, at most 1 s) before refusing: an HTTP/2 response that ends while
    // the request is still open resets the stream, and a client still writing its request (a streaming call) would then
    // see Cancelled instead of Unauthenticated.
    private static async Task DrainRequestAsync(HttpRequest request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var buffer = new byte[4096];
        try
        {
            for (var read = 0; read < 64 * 1024;)
            {
                var n = await request.Body.ReadAsync(buffer, timeout.Token);
                if (n == 0) return;
                read += n;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // a client that keeps its request open or goes away: refuse anyway
        }
    }

    // A trailers-only response: the status travels in the headers, as gRPC servers answer a call they never run.
    private static void RefuseGrpc(HttpResponse response, string reason)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = GrpcUnauthenticated.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(reason);
    }

    private static async Task RefuseHttpAsync(HttpResponse response, string reason)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(reason + "\n");
    }

    // grpc-message is percent-encoded: printable ASCII except '%' travels as is
    private static string PercentEncode(string text)
    {
        var encoded = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%') encoded.Append((char)b);
            else encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return encoded.ToString();
    }
}

/// <summary>Adds <see cref="ApiKeyAuthentication"/> in front of every endpoint when keys are configured.</summary>
public static class ApiKeyAuthenticationExtensions
{
    public static IApplicationBuilder UseApiKeyAuthentication(this IApplicationBuilder app, ApiKeySet keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.IsEmpty ? app : app.UseMiddleware<ApiKeyAuthentication>(keys);
    }
}
