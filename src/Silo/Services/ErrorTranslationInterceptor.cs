using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Chorus.Silo.Services;

/// <summary>
/// Every RPC's exceptions become gRPC statuses, and are logged, in one place (<see cref="ErrorTranslation"/>); a request
/// that could not be parsed is rejected here, before its handler (<see cref="RejectedRequests"/>).
/// </summary>
internal sealed class ErrorTranslationInterceptor(ILogger<ErrorTranslationInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            RejectedRequests.ThrowIfRejected(request);
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            RejectedRequests.ThrowIfRejected(request);
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    private RpcException Translate(Exception e, ServerCallContext context)
    {
        var rpc = ErrorTranslation.ToRpc(e, context.CancellationToken);
        ErrorTranslation.Log(logger, context.Method, rpc.Status, e);
        return rpc;
    }
}
