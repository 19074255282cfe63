using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// A stopping silo's drain: once it begins, the silo takes no new sessions (front end) and its models admit no new
/// sequences; in-flight sessions go on until they end or the drain time runs out (<see cref="Expired"/>), which cancels
/// the rest with a clear Unavailable status.
/// </summary>
public sealed class SiloDrain
{
    private readonly CancellationTokenSource _expired = new();
    private int _sessions;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Sessions this silo's front end is serving now.</summary>
    public int ActiveSessions => Volatile.Read(ref _sessions);

    /// <summary>Cancelled when the drain time ran out: the front end's sessions still running end with Unavailable.</summary>
    public CancellationToken Expired => _expired.Token;

    /// <summary>The silo is stopping: refuse new work from now on.</summary>
    public void Begin() => _draining = true;

    public void Expire() => _expired.Cancel();

    /// <summary>A session starts on this silo's front end; Unavailable once the drain began.</summary>
    public Session Enter(string silo)
    {
        if (_draining) throw ShuttingDown(silo);
        Interlocked.Increment(ref _sessions);
        if (!_draining) return new Session(this);
        Interlocked.Decrement(ref _sessions);
        throw ShuttingDown(silo);
    }

    public static ChorusException ShuttingDown(string silo) =>
        new(ChorusErrorKind.Unavailable, $"silo {silo} is shutting down and takes no new sessions; retry — the other silos serve the request");

    /// <summary>
    /// True when <paramref name="error"/> ended a front-end session because the drain time ran out — not because the
    /// client left (<paramref name="client"/>) or a real error (a ChorusException other than Cancelled) ended it.
    /// </summary>
    public bool CutShort(Exception error, CancellationToken client) =>
        _expired.IsCancellationRequested && !client.IsCancellationRequested && error is not ChorusException { Kind: not ChorusErrorKind.Cancelled };

    /// <summary>The status of a front-end session that the drain time cut short.</summary>
    public static ChorusException RanOut(string silo, double drainSeconds) =>
        new(ChorusErrorKind.Unavailable,
            $"silo {silo} shut down before this request finished (its drain time, Chorus:Sessions:DrainSeconds={drainSeconds}, ran out); its slots are freed — retry: the other silos serve it");

    /// <summary>Ends one front-end session (dispose once).</summary>
    public readonly struct Session(SiloDrain drain) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref drain._sessions);
    }
}
