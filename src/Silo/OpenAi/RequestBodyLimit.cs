using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// The largest completion or chat body, set per request from <c>Chorus:Sessions:MaxTextBytes</c> instead of Kestrel's
/// fixed 30 MB: four times the text limit (text escaped as JSON — Python's json.dumps writes é as \u00e9, three times its
/// UTF-8 — still fits) plus 64 KiB for the other fields. A larger body is refused while it is read (413), before it is
/// parsed or held.
/// </summary>
internal static class RequestBodyLimit
{
    private const long OtherFields = 64 * 1024;

    public static long For(Grains.SessionOptions limits) => 4L * limits.MaxTextBytes + OtherFields;

    public static void Apply(HttpContext context, Grains.SessionOptions limits)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = For(limits);
    }
}

/// <summary>A request body over <see cref="RequestBodyLimit"/>: 413 in OpenAI's error shape, naming the limit.</summary>
internal sealed class RequestBodyTooLargeException(long limit, int maxTextBytes, Exception inner)
    : Exception($"the request body is larger than {limit} bytes, the limit of this server (4 × Chorus:Sessions:MaxTextBytes = {maxTextBytes}, plus 64 KiB for the other fields); send a shorter prompt or conversation", inner);
