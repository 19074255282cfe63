using Chorus.Contracts;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// A member whose silo left or died mid-session: the session ends with Unavailable naming the lost model and its silo,
/// instead of the runtime's exception (which names neither) — and within seconds of a crash even while the membership
/// store does not answer (<see cref="SiloReachability"/>).
/// </summary>
internal static class MemberLoss
{
    /// <summary>
    /// Awaits a member call; while it is pending the member's silo is checked every <see cref="SiloReachability.ProbeEvery"/>,
    /// and a silo found gone ends the wait with Unavailable (the call itself is abandoned: it fails when Orleans learns the
    /// silo is dead, and nobody waits for that).
    /// </summary>
    public static async Task<T> Guard<T>(RunMember member, Func<Task<T>> call)
    {
        try
        {
            var pending = call();
            // a call that is done, or made in this very silo (the local fast path), has no silo to lose: no probe timer
            if (pending.IsCompleted || member.Grain is LocalModelGrain) return await pending;
            while (true)
            {
                try
                {
                    return await pending.WaitAsync(SiloReachability.ProbeEvery);
                }
                catch (TimeoutException) when (!pending.IsCompleted)
                {
                    if (await SiloReachability.CheckAsync(member.Facts.Silo) is not { } gone) continue;
                    Abandon(pending);
                    throw Lost(member, gone);
                }
            }
        }
        catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException)
        {
            throw Lost(member, e);
        }
    }

    /// <summary>
    /// <see cref="Guard{T}(RunMember, Func{Task{T}})"/> for a member's event stream (admission): each wait for the next event is guarded, so a session
    /// waiting for slots on a silo that died ends with Unavailable within seconds.
    /// </summary>
    public static async IAsyncEnumerable<T> Guard<T>(RunMember member, IAsyncEnumerable<T> events)
    {
        var enumerator = events.GetAsyncEnumerator();
        try
        {
            while (await Guard(member, () => enumerator.MoveNextAsync().AsTask()))
                yield return enumerator.Current;
        }
        finally
        {
            // disposing asks the member's silo to drop its side; a lost silo would keep the session waiting for that answer
            if (SiloReachability.LostReason(member.Facts.Silo) is null) await enumerator.DisposeAsync();
        }
    }

    public static ChorusException Lost(RunMember member, Exception reason) => Lost(member, reason.GetType().Name);

    private static ChorusException Lost(RunMember member, string reason) => new(ChorusErrorKind.Unavailable,
        $"model '{member.Name}' was lost mid-session: its silo {member.Facts.Silo} left or died ({reason}); "
        + $"retry — a new session goes to a live silo that serves '{member.Name}', if there is one");

    // the abandoned call still ends (with SiloUnavailableException once the membership declares the silo dead): observed here
    private static void Abandon(Task call) =>
        _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
