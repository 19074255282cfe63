using System.Text;
using Chorus.Contracts;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// What any exception that reaches a front end means for the client: its <see cref="ChorusErrorKind"/> and a message
/// that names the problem and the fix. One classification for every front end (the gateway turns a failed session into
/// its kind, src/Silo/Gateway/SessionFailures.cs); gRPC and HTTP each map the kind to their status codes in one table.
/// </summary>
public static class ErrorClassification
{
    public static (ChorusErrorKind Kind, string Message) Classify(Exception e, bool callCancelled)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            ChorusException c => (c.Kind, c.Message),
            // once the call is over (client gone, deadline passed) whatever failed after it is that cancellation's echo
            _ when callCancelled => (ChorusErrorKind.Cancelled, e is OperationCanceledException
                ? "the request was cancelled"
                : $"the request was cancelled or its deadline passed (then {e.GetType().Name}: {e.Message})"),
            OperationCanceledException or TimeoutException => (ChorusErrorKind.DeadlineExceeded, $"the request did not finish in time: {e.Message}"),
            SiloUnavailableException or OrleansMessageRejectionException =>
                (ChorusErrorKind.Unavailable, $"a silo serving a member became unavailable ({e.GetType().Name}: {e.Message}); retry, the cluster routes to live silos"),
            DecoderFallbackException or EncoderFallbackException =>
                (ChorusErrorKind.InvalidArgument, $"a text in the request is not valid UTF-8 or Unicode ({e.Message}); send well-formed UTF-8 text"),
            ArgumentException => (ChorusErrorKind.InvalidArgument, e.Message),
            _ when e.InnerException is { } inner && inner is not AggregateException => Classify(inner, callCancelled),
            _ => (ChorusErrorKind.Internal, $"{e.GetType().Name}: {e.Message}"),
        };
    }
}
