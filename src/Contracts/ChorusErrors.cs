namespace Chorus.Contracts;

/// <summary>What went wrong, in the terms the gRPC layer maps to status codes.</summary>
public enum ChorusErrorKind
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    Unavailable,
    ResourceExhausted,
    DeadlineExceeded,

    /// <summary>A sequence ran into its context window while generating (the session ends with finish reason "length").</summary>
    OutOfRange,

    /// <summary>The work was withdrawn because its session ended (cancelled or closed).</summary>
    Cancelled,

    /// <summary>A fault inside the server (not the request's doing); the message says what failed.</summary>
    Internal,
}

/// <summary>A user-facing cluster error with its kind; the message names the problem and the fix.</summary>
[GenerateSerializer, Alias("chorus.ChorusException")]
public sealed class ChorusException : Exception
{
    public ChorusException() { }

    public ChorusException(string message) : base(message) { }

    public ChorusException(string message, Exception inner) : base(message, inner) { }

    public ChorusException(ChorusErrorKind kind, string message) : base(message) => Kind = kind;

    [Id(0)]
    public ChorusErrorKind Kind { get; init; }

    /// <summary>The request field at fault ("sampling.top_p", "presence_penalty"), when one is; front ends name it (gRPC BadRequest, OpenAI's param).</summary>
    [Id(1)]
    public string? Field { get; init; }
}
