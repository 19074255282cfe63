using System.Threading.Channels;
using Chorus.Contracts;
using Chorus.Llama;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// The one scheduler of a model replica, on its own dedicated thread — the only thread that touches the runner.
/// Admits requests to slots (<see cref="SlotAdmission"/>: FIFO, bounded, deadline- and cancellation-aware) and forms
/// each <c>llama_decode</c> from all edits that are ready (prefills, token appends and text syncs of every session
/// alike). Nothing that goes wrong here ends the process: a fault fails the requests it touched, and a model whose
/// context stops decoding is marked unhealthy.
/// </summary>
internal sealed class ModelScheduler : IDisposable
{
    private readonly ModelRunner _runner;
    private readonly string _model;
    private readonly TimeSpan _maxWait;
    private readonly ILogger _logger;
    private readonly SlotAdmission _admission;
    private readonly Channel<SchedulerWork> _inbox = Channel.CreateUnbounded<SchedulerWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<EditWork> _edits = [];
    private readonly Thread _thread;
    private long _batchedSteps;
    private long _swept;
    private int _consecutiveFaults;

    public ModelScheduler(ModelRunner runner, string model, int queueDepth, TimeSpan maxWait, ILogger logger)
    {
        _runner = runner;
        _model = model;
        _maxWait = maxWait;
        _logger = logger;
        _admission = new SlotAdmission(runner, model, queueDepth);
        _thread = new Thread(Loop) { IsBackground = true, Name = $"chorus-model-{model}" };
        _thread.Start();
    }

    /// <summary>Slots granted (+n) or freed (−n), and a queued request's wait when it left the queue — for metrics.</summary>
    public SlotAdmission Admission => _admission;

    public ModelRunner Runner => _runner;

    /// <summary>Decodes that carried edits of more than one sequence.</summary>
    public long BatchedSteps => Interlocked.Read(ref _batchedSteps);

    /// <summary>Sequences the idle sweep freed (owners that never released them).</summary>
    public long SweptSequences => Interlocked.Read(ref _swept);

    /// <summary>False after decodes failed repeatedly on their own (the context looks unusable).</summary>
    public bool Healthy => Volatile.Read(ref _consecutiveFaults) < 3;

    public int Waiting => _admission.Waiting;

    /// <summary>Asks for <paramref name="count"/> slots at once; the stream reports queue positions, then the grant, or fails.</summary>
    public ChannelReader<AdmissionEvent> Admit(Guid owner, int count, CancellationToken cancellationToken)
    {
        if (count < 1) throw new ChorusException(ChorusErrorKind.InvalidArgument, $"a request needs at least one slot, asked for {count}");
        if (count > _runner.MaxSequences)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                $"the request names model '{_model}' {count} times, but a replica of it has {_runner.MaxSequences} slots; name it at most {_runner.MaxSequences} times");
        var waiter = new AdmissionWaiter(owner, count);
        Post(new ControlWork<bool>(() =>
        {
            _admission.Enqueue(waiter);
            if (waiter.Node is not null) waiter.Expiry = ExpireLater(waiter, cancellationToken);
            return true;
        }), waiter.Fail);
        return waiter.Updates;
    }

    /// <summary>The lease a handle names, if it is still held.</summary>
    public SlotLease Find(SequenceHandle handle) =>
        _admission.TryFind(handle.Lease, out var lease) && lease.Sequence.Id == handle.Slot && lease.IsOpen
            ? lease
            : throw new ChorusException(ChorusErrorKind.FailedPrecondition,
                $"sequence {handle.Slot} (lease {handle.Lease}) of model '{_model}' is not held any more (released, its session ended, or swept after idling); open a new session");

    /// <summary>Applies an edit to a leased sequence, batched with the other edits that are ready.</summary>
    public Task<EditResult> Edit(SlotLease lease, SequenceEdit edit, CancellationToken cancellationToken)
    {
        var work = new EditWork(lease, edit, cancellationToken);
        Post(work, work.Fail);
        return work.Completion.Task;
    }

    /// <summary>
    /// Plans a text edit on this thread (<paramref name="plan"/> reads the sequence as every earlier edit left it), applies
    /// it batched with the other ready edits, and commits it to the sequence's text here before the caller resumes. The
    /// caller awaits the work's completion and then reads its plan (one hand-off from this thread to the caller, no more).
    /// </summary>
    public EditWork EditText(SlotLease lease, Func<TextEdit> plan, CancellationToken cancellationToken)
    {
        var work = new EditWork(lease, plan, cancellationToken);
        Post(work, work.Fail);
        return work;
    }

    public Task<bool> Release(SlotLease lease) => Control(() => _admission.Release(lease));

    public Task<int> ReleaseOwner(Guid owner) => Control(() => _admission.ReleaseOwner(owner));

    public Task<SlotLease> Fork(SlotLease lease) => Control(() => _admission.Fork(lease));

    /// <summary>Frees sequences idle longer than <paramref name="idle"/>; returns their owners.</summary>
    public Task<IReadOnlyList<Guid>> Sweep(TimeSpan idle) => Control(() =>
    {
        var owners = _admission.Sweep(idle);
        Interlocked.Add(ref _swept, owners.Count);
        return owners;
    });

    /// <summary>Runs work on the scheduler thread between decodes (diagnostics; tests use it to hold the thread while work piles up).</summary>
    internal Task<T> OnSchedulerThread<T>(Func<T> work) => Control(work);

    private Task<T> Control<T>(Func<T> work)
    {
        var item = new ControlWork<T>(work);
        Post(item, item.Fail);
        return item.Completion.Task;
    }

    private void Post(SchedulerWork work, Action<Exception> fail)
    {
        if (!_inbox.Writer.TryWrite(work))
            fail(new ChorusException(ChorusErrorKind.Unavailable, $"model '{_model}' is shutting down on this silo; retry, the cluster routes to a live replica"));
    }

    // The caller's cancellation or the maximum wait withdraws a waiter (on this thread, via the inbox).
    private IDisposable ExpireLater(AdmissionWaiter waiter, CancellationToken caller)
    {
        var expiry = CancellationTokenSource.CreateLinkedTokenSource(caller);
        expiry.CancelAfter(_maxWait);
        var registration = expiry.Token.Register(() => Post(new ControlWork<bool>(() =>
        {
            Exception reason = caller.IsCancellationRequested
                ? new OperationCanceledException("the request was cancelled while waiting for a slot", caller)
                : new ChorusException(ChorusErrorKind.ResourceExhausted,
                    $"waited {_maxWait.TotalMilliseconds:0} ms for a slot of model '{_model}' (all {_runner.MaxSequences} taken, {_admission.Waiting} requests waiting); retry later, add replicas, or raise Chorus:Sessions:MaxQueueMilliseconds");
            _admission.Withdraw(waiter, reason);
            return true;
        }), _ => { }));
        return new Disposables(registration, expiry);
    }

    private void Loop()
    {
        var reader = _inbox.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var work))
                {
                    try
                    {
                        Dispatch(work);
                    }
                    catch (Exception e)
                    {
                        _logger.LogError(e, "model {Model}: scheduler work failed", _model);
                        work.Fail(SchedulerFaults.Internal(_model, e));
                    }
                }
                FlushEdits();
            }
        }
        catch (Exception e)
        {
            // not reachable by design (every item is guarded); never let the model thread end the process
            _logger.LogCritical(e, "model {Model}: scheduler thread stopped", _model);
            Volatile.Write(ref _consecutiveFaults, int.MaxValue);
        }
        finally
        {
            // after a stop that was not asked for as well: no work may wait for a thread that is gone (later posts
            // fail at once, and what is queued fails now)
            _inbox.Writer.TryComplete();
            var gone = new ChorusException(ChorusErrorKind.Unavailable, $"model '{_model}' is shutting down on this silo; retry");
            while (reader.TryRead(out var work)) work.Fail(gone);
            FlushEdits();
            _admission.Shutdown(gone);
        }
    }

    private void Dispatch(SchedulerWork work)
    {
        if (work is EditWork edit)
        {
            // one sequence's edits apply in order: a second edit of a sequence in this round waits for the next decode
            if (_edits.Exists(e => ReferenceEquals(e.Lease, edit.Lease))) FlushEdits();
            if (edit.Cancellation.IsCancellationRequested) edit.Fail(new OperationCanceledException(edit.Cancellation));
            else if (!edit.Lease.IsOpen) edit.Fail(Released(edit));
            else if (edit.Plan()) _edits.Add(edit);
            return;
        }
        // control work sees the state after every edit that arrived before it (a release never frees a sequence under a pending edit)
        FlushEdits();
        ((ControlWork)work).Execute();
    }

    private void FlushEdits()
    {
        if (_edits.Count == 0) return;
        var ready = new List<EditWork>(_edits.Count);
        foreach (var e in _edits)
        {
            if (e.Cancellation.IsCancellationRequested) e.Fail(new OperationCanceledException(e.Cancellation));
            else if (!e.Lease.IsOpen) e.Fail(Released(e));
            else ready.Add(e);
        }
        _edits.Clear();
        if (ready.Count == 0) return;
        try
        {
            // a lone edit may be aborted mid-decode by its caller; a shared decode is never aborted for one of many
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var results = _runner.Apply(ready.ConvertAll(e => e.Edit), ready.Count == 1 ? ready[0].Cancellation : CancellationToken.None);
            if (ready.Count > 1) Interlocked.Increment(ref _batchedSteps);
            Volatile.Write(ref _consecutiveFaults, 0);
            for (var i = 0; i < ready.Count; i++)
                ready[i].Complete(results[i] with { QueueMilliseconds = (started - ready[i].Posted) * 1000.0 / System.Diagnostics.Stopwatch.Frequency });
        }
        catch (Exception e) when (ready.Count > 1)
        {
            // the batch failed: every sequence is back where it was, so each edit runs alone and fails only for itself
            _logger.LogInformation("model {Model}: a batch of {Count} edits failed ({Reason}); retrying each alone", _model, ready.Count, e.Message);
            foreach (var edit in ready) ApplyAlone(edit);
        }
        catch (Exception e)
        {
            Fault(ready[0], e);
        }
    }

    private ChorusException Released(EditWork e) =>
        new(ChorusErrorKind.FailedPrecondition, $"sequence {e.Lease.Sequence.Id} of model '{_model}' was released before its edit ran");

    private void ApplyAlone(EditWork edit)
    {
        try
        {
            edit.Complete(_runner.Apply([edit.Edit], edit.Cancellation)[0]);
            Volatile.Write(ref _consecutiveFaults, 0);
        }
        catch (Exception e)
        {
            Fault(edit, e);
        }
    }

    private void Fault(EditWork edit, Exception e)
    {
        if (SchedulerFaults.IsRequestError(e))
        {
            edit.Fail(e); // the request's own doing (cancelled, context full, bad token): not the model's fault
            return;
        }
        Interlocked.Increment(ref _consecutiveFaults);
        _logger.LogError(e, "model {Model}: decode failed", _model);
        edit.Fail(SchedulerFaults.Internal(_model, e));
    }

    public void Dispose()
    {
        _inbox.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(30));
    }

    private sealed class Disposables(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var d in items) d.Dispose();
        }
    }
}
