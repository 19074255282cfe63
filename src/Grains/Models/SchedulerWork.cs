using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>Work posted to a model's scheduler thread. Each item completes its own task; a fault fails only the item.</summary>
internal abstract class SchedulerWork
{
    public abstract void Fail(Exception e);
}

/// <summary>An edit of one leased sequence; edits that are ready together share one decode.</summary>
internal sealed class EditWork(SlotLease lease, SequenceEdit edit, CancellationToken cancellation) : SchedulerWork
{
    public SlotLease Lease { get; } = lease;
    public SequenceEdit Edit { get; } = edit;
    public CancellationToken Cancellation { get; } = cancellation;
    public TaskCompletionSource<EditResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When the edit was posted (to tell its queueing from its decode).</summary>
    public long Posted { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public override void Fail(Exception e)
    {
        if (e is OperationCanceledException && Cancellation.IsCancellationRequested) Completion.TrySetCanceled(Cancellation);
        else Completion.TrySetException(e);
    }
}

/// <summary>Work that runs alone on the scheduler thread (admission, release, fork, sweep).</summary>
internal abstract class ControlWork : SchedulerWork
{
    public abstract void Execute();
}

/// <summary>Control work with a result.</summary>
internal sealed class ControlWork<T>(Func<T> work) : ControlWork
{
    public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute()
    {
        try { Completion.TrySetResult(work()); }
        catch (Exception e) { Completion.TrySetException(e); }
    }

    public override void Fail(Exception e) => Completion.TrySetException(e);
}

/// <summary>Tells the request's own errors from the model's faults, and words the latter for callers.</summary>
internal static class SchedulerFaults
{
    /// <summary>Errors a request causes (cancelled, context full, a bad token, a released sequence): they say nothing about the model's health.</summary>
    public static bool IsRequestError(Exception e) =>
        e is OperationCanceledException or ContextOverflowException or ArgumentException or InvalidOperationException or ChorusException;

    public static ChorusException Internal(string model, Exception e) =>
        new(ChorusErrorKind.Internal, $"model '{model}' failed to decode ({e.GetType().Name}: {e.Message}); the request was ended, the model keeps serving");
}
