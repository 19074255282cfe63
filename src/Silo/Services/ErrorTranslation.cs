using Chorus.Grains;
using Chorus.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;


namespace Chorus.Silo.Services;

/// <summary>Error kinds (<see cref="ErrorClassification"/>) → gRPC status codes (DESIGN.md: Public gRPC API), and how loudly each is logged.</summary>
internal static partial class ErrorTranslation
{
    /// <summary>
    /// The status with google.rpc details in its trailer: RetryInfo when waiting helps (ResourceExhausted, Unavailable),
    /// BadRequest naming the field when the request names one.
    /// </summary>
    public static RpcException ToRpc(Exception e, CancellationToken callCancelled)
    {
        if (e is RpcException rpc) return rpc;
        var (kind, message) = ErrorClassification.Classify(e, callCancelled.IsCancellationRequested);
        var status = new Google.Rpc.Status { Code = (int)Code(kind), Message = message };
        if (ErrorAdvice.RetryAfter(kind) is { } delay)
            status.Details.Add(Any.Pack(new Google.Rpc.RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        if (kind == ChorusErrorKind.InvalidArgument && ErrorAdvice.FieldOf(e) is { } field)
            status.Details.Add(Any.Pack(new Google.Rpc.BadRequest { FieldViolations = { new Google.Rpc.BadRequest.Types.FieldViolation { Field = field, Description = message } } }));
        return status.ToRpcException();
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
