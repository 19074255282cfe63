using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Chorus.Grains;

/// <summary>
/// Which silos are known gone without waiting for the membership to say so: a silo whose silo-to-silo endpoint refuses a
/// TCP connection has no process listening there any more.
/// </summary>
/// <remarks>
/// Orleans fails a call already sent to a silo that died only when the membership declares the silo dead, and that
/// declaration is a write to the membership store: while the store hangs, such a call waits for it (measured: 25 s after a
/// SIGKILL during a 30 s hang). A refused connection is proof the process is gone, whatever the store says, so a member
/// call waiting on such a silo can end at once. Only refusals count: a silo that accepts the connection but does not answer
/// (a long pause, a partition) is left to the membership's probes and votes, which may take it for alive again. The
/// knowledge is per process, keyed by the silo's address including its generation, so a restarted silo (a new generation)
/// is never mistaken for the lost one. Probes are shared: one at a time per silo, at most one per <see cref="ProbeEvery"/>.
/// </remarks>
internal static class SiloReachability
{
    /// <summary>The most often one silo is probed, however many calls wait on it.</summary>
    public static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly ConcurrentDictionary<string, string> Lost = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, (Task<string?> Probe, long At)> Probes = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<IPEndPoint, byte> LocalSilos = new();
    private static Task<bool>? _socketsHere;

    /// <summary>
    /// A silo of this process says where it listens (its model grains do, on activation). A refusal counts only once one of
    /// them was seen to accept a TCP connection: silos on an in-memory transport (Orleans' in-process test cluster) accept
    /// none, and there a refusal says nothing about a silo's life.
    /// </summary>
    public static void AddLocal(IPEndPoint endpoint) => LocalSilos.TryAdd(endpoint, 0);

    /// <summary>Why the silo (as <c>SiloAddress.ToString()</c> writes it) is known gone, or null while nothing says so.</summary>
    public static string? LostReason(string silo) => Lost.TryGetValue(silo, out var reason) ? reason : null;

    /// <summary>Probes the silo (or joins the probe under way, or reuses one under <see cref="ProbeEvery"/> old): why it is gone, or null.</summary>
    public static Task<string?> CheckAsync(string silo)
    {
        if (LostReason(silo) is { } known) return Task.FromResult<string?>(known);
        var now = Environment.TickCount64;
        var entry = Probes.AddOrUpdate(silo,
            s => (Start(s), now),
            (s, old) => !old.Probe.IsCompleted || now - old.At < (long)ProbeEvery.TotalMilliseconds ? old : (Start(s), now));
        return entry.Probe;
    }

    // on the thread pool: a probe shared by many sessions must not belong to the grain activation that happened to start it
    private static Task<string?> Start(string silo) => Task.Run(() => ProbeAsync(silo));

    private static async Task<string?> ProbeAsync(string silo)
    {
        if (Endpoint(silo) is not { } endpoint) return null;
        // refused: nothing listens there; host unreachable or down: nothing answers for the address (a deleted pod's IP).
        // Not "network unreachable" (that says more about this machine's routes than about the silo), nor no answer in
        // time: not proof of anything
        var error = await ConnectAsync(endpoint);
        if (error is not (SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.HostDown) || !await SocketsHere())
            return null;
        var reason = $"its endpoint {endpoint} refused a connection ({error})";
        Lost.TryAdd(silo, reason);
        Probes.TryRemove(silo, out _);
        return reason;
    }

    // whether this process's silos listen on sockets at all (asked once, of one of them; true when none said where). A
    // local silo that refuses says no; one that accepts, or any other outcome, keeps refusals trusted
    private static Task<bool> SocketsHere()
    {
        if (Volatile.Read(ref _socketsHere) is { } known) return known;
        var probe = LocalSilos.Keys.FirstOrDefault() is { } local
            ? ConnectAsync(local).ContinueWith(t => t.Result != SocketError.ConnectionRefused, TaskScheduler.Default)
            : Task.FromResult(true);
        return Interlocked.CompareExchange(ref _socketsHere, probe, null) ?? probe;
    }

    // one TCP connect: null when it was accepted, else why not (TimedOut when no answer came in time)
    private static async Task<SocketError?> ConnectAsync(IPEndPoint endpoint)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }

    // "S10.0.0.5:11111:123456789" (SiloAddress.ToString(): endpoint, then the generation after the last colon)
    private static IPEndPoint? Endpoint(string silo)
    {
        var text = silo.StartsWith('S') ? silo[1..] : silo;
        var generation = text.LastIndexOf(':');
        return generation > 0 && IPEndPoint.TryParse(text[..generation], out var endpoint) ? endpoint : null;
    }
}
