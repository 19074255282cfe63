using System.Diagnostics;

namespace Chorus.Bench.Load.Client;

/// <summary>
/// What one request did, as its client saw it. Times are <see cref="Stopwatch"/> timestamps: sent, first content chunk,
/// last byte. <see cref="Tokens"/> is the server's usage count when it sent one, else the content chunks;
/// <see cref="GapsMs"/> are the gaps between consecutive content chunks (inter-token latency: one token per chunk).
/// </summary>
internal sealed record RequestResult(string Class, long Start, long FirstToken, long End, int Tokens, int Chunks, int? UsageTokens,
    int? PromptTokens, float[] GapsMs, string Text, string? Error)
{
    public bool Ok => Error is null;

    public double? TimeToFirstTokenMs => FirstToken > 0 ? Stopwatch.GetElapsedTime(Start, FirstToken).TotalMilliseconds : null;

    public double EndToEndSeconds => Stopwatch.GetElapsedTime(Start, End).TotalSeconds;
}
