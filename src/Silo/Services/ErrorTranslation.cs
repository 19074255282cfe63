using Chorus.Contracts;
using Grpc.Core;
using Orleans.Runtime;

namespace Chorus.Silo.Services;

/// <summary>Cluster errors → gRPC status codes (DESIGN.md: Public gRPC API).</summary>
internal static class ErrorTranslation
{
    public static RpcException ToRpc(Exception e, CancellationToken callCancelled)
    {
        if (e is RpcException rpc) return rpc;
        var (code, message) = e switch
        {
            ChorusException c => (Code(c.Kind), c.Message),
            OperationCanceledException when callCancelled.IsCancellationRequested => (StatusCode.Cancelled, "the request was cancelled"),
            OperationCanceledException or TimeoutException => (StatusCode.DeadlineExceeded, $"the request did not finish in time: {e.Message}"),
            SiloUnavailableException or OrleansMessageRejectionException =>
                (StatusCode.Unavailable, $"a silo serving a member became unavailable ({e.GetType().Name}: {e.Message}); retry, the cluster routes to live silos"),
            ArgumentException => (StatusCode.InvalidArgument, e.Message),
            _ when e.InnerException is { } inner && inner is not AggregateException => (ToRpc(inner, callCancelled).StatusCode, ToRpc(inner, callCancelled).Status.Detail),
            _ => (StatusCode.Internal, $"{e.GetType().Name}: {e.Message}"),
        };
        return new RpcException(new Status(code, message));
    }

    private static StatusCode Code(ChorusErrorKind kind) => kind switch
    {
        ChorusErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ChorusErrorKind.NotFound => StatusCode.NotFound,
        ChorusErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ChorusErrorKind.Unavailable => StatusCode.Unavailable,
        ChorusErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ChorusErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        ChorusErrorKind.OutOfRange => StatusCode.OutOfRange,
        ChorusErrorKind.Cancelled => StatusCode.Cancelled,
        ChorusErrorKind.Internal => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };
}
