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
}
