using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Chorus.Silo.Services;

/// <summary>
/// Requests that could not be parsed, handed on as empty placeholders that carry why: grpc-dotnet logs any exception
/// thrown while it reads a request with its stack trace, so the marshaller does not throw; <see cref="ErrorTranslationInterceptor"/>
/// rejects the placeholder before the handler runs, and the client error is logged like any other.
/// </summary>
internal static class RejectedRequests
{
    private static readonly ConditionalWeakTable<object, string> Reasons = [];

    /// <summary>An empty request of <paramref name="type"/>, marked as rejected for <paramref name="reason"/>.</summary>
    public static T Placeholder<T>(MessageDescriptor type, string reason)
    {
        var placeholder = (T)type.Parser.ParseFrom(ByteString.Empty);
        Reasons.AddOrUpdate(placeholder!, reason);
        return placeholder;
    }

    /// <summary>Throws InvalidArgument with the reason when <paramref name="request"/> is a placeholder.</summary>
    public static void ThrowIfRejected(object request)
    {
        if (Reasons.TryGetValue(request, out var reason))
            throw new ChorusException(ChorusErrorKind.InvalidArgument, reason);
    }
}
