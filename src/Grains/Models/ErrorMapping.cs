using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Turns engine and fusion errors into <see cref="ChorusException"/>s (serializable, with a kind) at the model boundary: the
/// one mapping for the grain and for callers in the model's own silo alike. A full context is OutOfRange wherever it
/// happens (sessions end a generation with finish reason "length"); a prefill words its own case as the prompt's fault.
/// </summary>
internal static class ErrorMapping
{
    public static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    public static async Task<T> GuardAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The user-facing error for an exception, or null to let it pass unchanged.</summary>
    public static ChorusException? Map(Exception e) => e switch
    {
        ChorusException => null,
        OperationCanceledException => null,
        NoFreeSequenceException => new ChorusException(ChorusErrorKind.ResourceExhausted, e.Message),
        ContextOverflowException => new ChorusException(ChorusErrorKind.OutOfRange, e.Message),
        ModelLoadException => new ChorusException(ChorusErrorKind.FailedPrecondition, e.Message),
        FusionParameterException => new ChorusException(ChorusErrorKind.InvalidArgument, e.Message),
        FusionPackException => new ChorusException(ChorusErrorKind.FailedPrecondition, e.Message),
        ArgumentException => new ChorusException(ChorusErrorKind.InvalidArgument, e.Message),
        LlamaException => new ChorusException(ChorusErrorKind.FailedPrecondition, e.Message),
        _ => null,
    };
}
