using Chorus.Contracts;

namespace Chorus.Silo.Services;

/// <summary>
/// What both front ends add to an error beyond its kind and message: how long a client should wait before retrying
/// (HTTP <c>Retry-After</c>, gRPC <c>RetryInfo</c>) and which request field was at fault (OpenAI's <c>param</c>, gRPC
/// <c>BadRequest</c>).
/// </summary>
internal static class ErrorAdvice
{
    /// <summary>A full queue or exhausted slots: a second is about one short generation's worth of slots turning over.</summary>
    public static readonly TimeSpan QueueFullRetry = TimeSpan.FromSeconds(1);

    /// <summary>No live silo serves a member, or this silo is draining: long enough for a restart or a re-placement to land.</summary>
    public static readonly TimeSpan UnavailableRetry = TimeSpan.FromSeconds(2);

    /// <summary>How long to wait before a retry, or null when retrying the same request cannot help.</summary>
    public static TimeSpan? RetryAfter(ChorusErrorKind kind) => kind switch
    {
        ChorusErrorKind.ResourceExhausted => QueueFullRetry,
        ChorusErrorKind.Unavailable => UnavailableRetry,
        _ => null,
    };

    /// <summary>The request field a <see cref="ChorusException"/> (possibly wrapped) names, if any.</summary>
    public static string? FieldOf(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is ChorusException { Field: { Length: > 0 } field }) return field;
        return null;
    }
}
