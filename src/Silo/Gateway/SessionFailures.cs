using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Services;

namespace Chorus.Silo.Gateway;

/// <summary>
/// What a failed session means for its client, decided once for every front end: the drain time ran out (Unavailable,
/// retry elsewhere), the client left or its call's deadline passed (Cancelled), the request's own time ran out
/// (DeadlineExceeded), or the kind <see cref="ErrorClassification"/> gives. The result is always a
/// <see cref="ChorusException"/>, so a front end only maps its kind to a status code.
/// </summary>
internal static class SessionFailures
{
    public static ChorusException Of(Exception error, GatewayCall call, SiloDrain drain, Func<ChorusException> drainRanOut)
    {
        if (drain.CutShort(error, call.Client)) return drainRanOut();
        var (kind, message) = ErrorClassification.Classify(error, call.Client.IsCancellationRequested);
        if (error is ChorusException known && known.Kind == kind) return known;
        return new ChorusException(message, error) { Kind = kind, Field = ErrorAdvice.FieldOf(error) };
    }
}
