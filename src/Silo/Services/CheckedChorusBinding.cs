using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Chorus.Silo.Services;

/// <summary>
/// Binds <see cref="ChorusGrpcService"/> (through its <see cref="BindServiceMethodAttribute"/>) exactly as the generated
/// code does, except that each request marshaller is a <see cref="CheckedRequestMarshaller"/>: grpc-dotnet parses the
/// request before any interceptor or handler runs, so the marshaller is the one place that sees a request protobuf
/// cannot parse (invalid UTF-8 in a string field) and can turn it into InvalidArgument instead of Unknown.
/// </summary>
internal static class CheckedChorusBinding
{
    private static ServiceDescriptor Descriptor => Api.Chorus.Descriptor;

    public static void BindService(ServiceBinderBase serviceBinder, Api.Chorus.ChorusBase serviceImpl) =>
        Api.Chorus.BindService(new CheckingBinder(serviceBinder), serviceImpl);

    private sealed class CheckingBinder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Checked(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Checked(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Checked(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Checked(method), handler);

        private static Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method)
        {
            var requestType = Descriptor.FindMethodByName(method.Name)?.InputType
                ?? throw new InvalidOperationException($"method '{method.Name}' is not in {Descriptor.FullName}");
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name,
                CheckedRequestMarshaller.Wrap(method.RequestMarshaller, requestType), method.ResponseMarshaller);
        }
    }
}
