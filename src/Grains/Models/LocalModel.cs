using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// A model activation as this silo's own sessions reach it: the endpoint, while the activation lives. Direct calls enter
/// and leave; once the activation deactivates nobody enters any more (callers fall back to the grain, as after any
/// deactivation), and its runner is freed only after the calls still inside have left — never under a running call.
/// </summary>
internal sealed class LocalModel(ModelEndpoint endpoint, IGrainContext activation)
{
    private readonly TaskCompletionSource _left = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inside;
    private int _closed; // 0 or 1, set with a full fence: entering and closing must see each other's writes

    public ModelEndpoint Endpoint => endpoint;

    /// <summary>The model grain's activation (its identity answers <c>GetPrimaryKeyString</c> on the local reference).</summary>
    public IGrainContext Activation => activation;

    /// <summary>True, and counted inside, while the activation lives; false once it is closing.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _inside);
        if (Volatile.Read(ref _closed) == 0) return true;
        Leave();
        return false;
    }

    public void Leave()
    {
        if (Interlocked.Decrement(ref _inside) == 0 && Volatile.Read(ref _closed) == 1) _left.TrySetResult();
    }

    /// <summary>Lets nobody in any more; completes when every call inside has left (true) or after <paramref name="wait"/> (false).</summary>
    public async Task<bool> CloseAsync(TimeSpan wait)
    {
        Interlocked.Exchange(ref _closed, 1);
        if (Volatile.Read(ref _inside) == 0) return true;
        try
        {
            await _left.Task.WaitAsync(wait);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
