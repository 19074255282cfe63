using Chorus.Contracts;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// A member whose silo left or died mid-session: the session ends with Unavailable naming the lost model and its silo,
/// instead of the runtime's exception (which names neither).
/// </summary>
internal static class MemberLoss
{
    public static async Task<T> Guard<T>(RunMember member, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException)
        {
            throw Lost(member, e);
        }
    }

    public static ChorusException Lost(RunMember member, Exception reason) => new(ChorusErrorKind.Unavailable,
        $"model '{member.Name}' was lost mid-session: its silo {member.Facts.Silo} left or died ({reason.GetType().Name}); "
        + $"retry — a new session goes to a live silo that serves '{member.Name}', if there is one");
}
