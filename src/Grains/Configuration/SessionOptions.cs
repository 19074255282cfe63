namespace Chorus.Grains;

/// <summary>Limits every session obeys.</summary>
public sealed class SessionOptions
{
    /// <summary>Tokens generated when a request names no limit.</summary>
    public int DefaultMaxTokens { get; set; } = 128;

    /// <summary>The most tokens a request may ask for.</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>A member sequence untouched this long is closed and its KV cache freed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often model grains look for idle sequences.</summary>
    public TimeSpan IdleSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Requests that may wait for a slot of one model replica (FIFO) when all its slots are taken; 0 = no queue.</summary>
    public int QueueDepth { get; set; } = 256;

    /// <summary>
    /// Greedy speculative generation pauses drafting while its rounds cost more per token than plain steps (measured
    /// as it runs, <see cref="DraftLength"/>). Off, drafting pauses only for poor acceptance: runs then do not depend
    /// on the machine's load (the tests that count pipelined rounds turn it off).
    /// </summary>
    public bool SpeculationCostCheck { get; set; } = true;

    /// <summary>The longest a request waits in a model's queue before it gets ResourceExhausted.</summary>
    public int MaxQueueMilliseconds { get; set; } = 60_000;

    /// <summary>The largest prompt or scored text, in UTF-8 bytes, checked before anything tokenizes it.</summary>
    public int MaxTextBytes { get; set; } = 1 << 20;

    /// <summary>The most members one request may name (a model named twice counts twice).</summary>
    public int MaxMembers { get; set; } = 16;

    /// <summary>The most stop strings one request may give, and the longest one in UTF-8 bytes.</summary>
    public int MaxStopStrings { get; set; } = 16;

    public int MaxStopStringBytes { get; set; } = 256;

    /// <summary>The most method parameters one request may give, and the longest key or value in UTF-8 bytes.</summary>
    public int MaxParameters { get; set; } = 32;

    public int MaxParameterBytes { get; set; } = 256;

    /// <summary>How long a stopping silo (SIGTERM) lets in-flight sessions finish before it cancels the rest.</summary>
    public int DrainSeconds { get; set; } = 30;
}
