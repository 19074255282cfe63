using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Chorus.Silo.Services;

/// <summary>
/// A request marshaller that parses as before and, when parsing fails, answers InvalidArgument with what was wrong
/// (<see cref="MalformedRequest"/>). An <see cref="RpcException"/> thrown while reading the request reaches the client with
/// its status, and grpc-dotnet logs it as one Information line without a stack trace.
/// </summary>
internal static class CheckedRequestMarshaller
{
    public static Marshaller<T> Wrap<T>(Marshaller<T> inner, MessageDescriptor requestType) => Marshallers.Create(
        inner.ContextualSerializer,
        context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or DecoderFallbackException)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, MalformedRequest.Explain(context.PayloadAsReadOnlySequence(), requestType, e)));
            }
        });
}
