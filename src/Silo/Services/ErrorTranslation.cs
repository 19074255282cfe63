using System.Text;
using Chorus.Contracts;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Chorus.Silo.Services;

/// <summary>Cluster errors → gRPC status codes (DESIGN.md: Public gRPC API), and how loudly each is logged.</summary>
internal static partial class ErrorTranslation
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
            DecoderFallbackException or EncoderFallbackException =>
                (StatusCode.InvalidArgument, $"a text in the request is not valid UTF-8 or Unicode ({e.Message}); send well-formed UTF-8 text"),
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

    /// <summary>
    /// A client's mistake (or its own cancellation) is one Information line without a stack trace: a hostile or careless
    /// client must not flood the error log. Unavailable is a Warning line; anything else is a server fault, an Error with
    /// the exception.
    /// </summary>
    public static void Log(ILogger logger, string method, Status status, Exception e)
    {
        if (IsClientError(status.StatusCode)) ClientError(logger, method, status.StatusCode, status.Detail);
        else if (status.StatusCode == StatusCode.Unavailable) Unavailable(logger, method, status.Detail);
        else ServerFault(logger, e, method, status.StatusCode, status.Detail);
    }

    public static bool IsClientError(StatusCode code) => code is StatusCode.InvalidArgument or StatusCode.NotFound
        or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted or StatusCode.Unauthenticated or StatusCode.PermissionDenied
        or StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.OutOfRange or StatusCode.AlreadyExists;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} → {Code}: {Detail}")]
    private static partial void ClientError(ILogger logger, string method, StatusCode code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} → Unavailable: {Detail}")]
    private static partial void Unavailable(ILogger logger, string method, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} → {Code}: {Detail}")]
    private static partial void ServerFault(ILogger logger, Exception exception, string method, StatusCode code, string detail);
}
