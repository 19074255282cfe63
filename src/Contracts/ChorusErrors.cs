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
}
