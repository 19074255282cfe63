using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Chorus.Silo.Services;

/// <summary>Every RPC's exceptions become gRPC statuses in one place (<see cref="ErrorTranslation"/>).</summary>
internal sealed class ErrorTranslationInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ErrorTranslation.ToRpc(e, context.CancellationToken);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ErrorTranslation.ToRpc(e, context.CancellationToken);
        }
    }
}
