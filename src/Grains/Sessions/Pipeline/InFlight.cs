namespace Chorus.Grains;

/// <summary>
/// Work a stepper started ahead (a members' advance, an early plain round, a draft ahead) that is no longer wanted: it is
/// waited for, so that no call stays in flight on a sequence about to be reused or released, and how it ended is dropped.
/// </summary>
internal static class InFlight
{
    /// <summary>Waits for <paramref name="work"/> (nothing when null) and ignores its outcome, failure included.</summary>
    public static async Task DropAsync(Task? work)
    {
        if (work is null) return;
        try
        {
            await work;
        }
        catch (Exception)
        {
            // unwanted work: what it met changes nothing for the generation, which has moved on or ended
        }
    }
}
