using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>Work posted to a model's scheduler thread. Each item completes its own task; a fault fails only the item.</summary>
internal abstract class SchedulerWork
{
    public abstract void Fail(Exception e);
}

/// <summary>
/// An edit of one leased sequence; edits that are ready together share one decode step, and a long one is decoded in
/// chunks over several steps. A text edit is planned on the scheduler
/// thread (against what the sequence holds after every earlier edit) and committed there right after it applied, so a
/// caller in the model's silo and a grain call are equally safe, and a fork, release or sweep never sees half an edit.
/// </summary>
internal sealed class EditWork : SchedulerWork
{
    private readonly Func<TextEdit>? _planner;

    public EditWork(SlotLease lease, SequenceEdit edit, CancellationToken cancellation)
    {
        Lease = lease;
        Edit = edit;
        Cancellation = cancellation;
    }

    public EditWork(SlotLease lease, Func<TextEdit> planner, CancellationToken cancellation)
    {
        Lease = lease;
        _planner = planner;
        Edit = null!; // set by Plan before the edit joins a decode
        Cancellation = cancellation;
    }

    public SlotLease Lease { get; }
    public SequenceEdit Edit { get; private set; }
    public CancellationToken Cancellation { get; }
    public TaskCompletionSource<EditResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The text edit the planner made (null for a raw edit); read by the caller once <see cref="Completion"/> is done.</summary>
    public TextEdit? Planned { get; private set; }

    /// <summary>The edit's decoding so far, once it has begun (set on the scheduler thread).</summary>
    public EditProgress? Progress { get; set; }

    /// <summary>When the first step that carried tokens of this edit began (0 before).</summary>
    public long FirstStep { get; set; }

    /// <summary>When the edit was posted (to tell its queueing from its decode).</summary>
    public long Posted { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Plans a text edit now (on the scheduler thread); false when planning failed (the work has failed with its error).</summary>
    public bool Plan()
    {
        if (_planner is null) return true;
        try
        {
            Planned = _planner();
            Edit = Planned.Edit;
            return true;
        }
        catch (Exception e)
        {
            Fail(ErrorMapping.Map(e) ?? e);
            return false;
        }
    }

    /// <summary>The edit applied: the sequence's text follows it (on the scheduler thread), then the caller hears of it.</summary>
    public void Complete(EditResult result)
    {
        try
        {
            if (Planned is not null) Lease.Text.Commit(Planned);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        Completion.TrySetResult(result);
    }

    public override void Fail(Exception e)
    {
        if (e is OperationCanceledException && Cancellation.IsCancellationRequested) Completion.TrySetCanceled(Cancellation);
        else Completion.TrySetException(ErrorMapping.Map(e) ?? e);
    }
}

/// <summary>Work that runs alone on the scheduler thread (admission, release, fork, sweep).</summary>
internal abstract class ControlWork : SchedulerWork
{
    /// <summary>A sequence this work must not overtake: it waits until that sequence's edits posted before it are done (release, fork).</summary>
    public SlotLease? After { get; init; }

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
