using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Chorus.Silo.Services;

/// <summary>
/// A request marshaller that parses as before and, when parsing fails, hands on a placeholder that carries what was
/// wrong (<see cref="MalformedRequest"/>, <see cref="RejectedRequests"/>) so that the client gets InvalidArgument naming
/// the field instead of Unknown.
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
                return RejectedRequests.Placeholder<T>(requestType, MalformedRequest.Explain(context.PayloadAsReadOnlySequence(), requestType, e));
            }
        });
}
