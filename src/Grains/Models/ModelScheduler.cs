using System.Diagnostics;
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
    // set after every post; the thread waits on it when idle or while it gathers a step (spinning would take a core
    // from the very sessions it waits for)
    private readonly ManualResetEventSlim _posted = new(false, spinCount: 1);
    // begun edits not yet fully decoded, in arrival order; a sequence has at most one here, later ones wait behind it
    private readonly List<EditWork> _running = [];
    private readonly Dictionary<SlotLease, Queue<SchedulerWork>> _behind = [];
    private readonly StepBudget _budget;
    private readonly StepGather _gather;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _batchedSteps;
    private long _swept;
    private int _consecutiveFaults;

    public ModelScheduler(ModelRunner runner, string model, int queueDepth, TimeSpan maxWait, ILogger logger, StepOptions? steps = null)
    {
        steps ??= StepOptions.Default;
        _budget = new StepBudget(runner.Context.BatchSize, steps.PrefillStretch);
        _gather = new StepGather(steps.GatherSteps);
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

    /// <summary>Raised on the scheduler thread after every decode: its rows (tokens), the sequences they belong to, and its time.</summary>
    public event Action<DecodeStep>? Decoded;

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

    /// <summary>Frees a sequence once the edits posted for it before have run.</summary>
    public Task<bool> Release(SlotLease lease) => Control(() => _admission.Release(lease), lease);

    public Task<int> ReleaseOwner(Guid owner) => Control(() => _admission.ReleaseOwner(owner));

    /// <summary>Copies a sequence as the edits posted for it before leave it.</summary>
    public Task<SlotLease> Fork(SlotLease lease) => Control(() => _admission.Fork(lease), lease);

    /// <summary>Frees sequences idle longer than <paramref name="idle"/>; returns their owners.</summary>
    public Task<IReadOnlyList<Guid>> Sweep(TimeSpan idle) => Control(() =>
    {
        var owners = _admission.Sweep(idle);
        Interlocked.Add(ref _swept, owners.Count);
        return owners;
    });

    /// <summary>Runs work on the scheduler thread between decodes (diagnostics; tests use it to hold the thread while work piles up).</summary>
    internal Task<T> OnSchedulerThread<T>(Func<T> work) => Control(work);

    private Task<T> Control<T>(Func<T> work, SlotLease? after = null)
    {
        var item = new ControlWork<T>(work) { After = after };
        Post(item, item.Fail);
        return item.Completion.Task;
    }

    private void Post(SchedulerWork work, Action<Exception> fail)
    {
        if (_inbox.Writer.TryWrite(work)) _posted.Set();
        else
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

    // vLLM's engine step on one thread: take what was posted, wait (briefly) for the sequences the last step served,
    // then decode one step of every running edit under the step's token budget
    private void Loop()
    {
        var reader = _inbox.Reader;
        try
        {
            while (true)
            {
                _posted.Reset();
                while (reader.TryRead(out var work)) Take(work);
                if (_stopping) break; // what is posted from now on fails in the finally below (the writer is complete)
                if (_running.Count == 0 && !_gather.Waiting)
                {
                    _posted.Wait();
                    continue;
                }
                var wait = _gather.Remaining();
                if (wait > TimeSpan.Zero)
                {
                    if (_posted.Wait(wait)) continue;
                    if (_gather.Remaining() > TimeSpan.Zero) continue;
                }
                _gather.GiveUp();
                if (_running.Count > 0) StepOnce();
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
            // fail at once, and what is queued or half-decoded fails now)
            _inbox.Writer.TryComplete();
            var gone = new ChorusException(ChorusErrorKind.Unavailable, $"model '{_model}' is shutting down on this silo; retry");
            while (reader.TryRead(out var work)) work.Fail(gone);
            foreach (var edit in _running) edit.Fail(gone);
            foreach (var queue in _behind.Values)
                foreach (var edit in queue) edit.Fail(gone);
            _running.Clear();
            _behind.Clear();
            _admission.Shutdown(gone);
        }
    }

    private void Take(SchedulerWork work)
    {
        var lease = (work as EditWork)?.Lease ?? ((ControlWork)work).After;
        if (lease is not null)
        {
            if (work is EditWork) _gather.Arrived(lease);
            // one sequence's work applies in order: what comes while an edit of it is decoding waits until that is
            // decoded and committed (a release or fork included: it never frees or copies half an edit)
            if (_behind.TryGetValue(lease, out var queue))
            {
                queue.Enqueue(work);
                return;
            }
            if (HasRunningEdit(lease))
            {
                _behind[lease] = new Queue<SchedulerWork>([work]);
                return;
            }
        }
        Run(work);
    }

    private bool HasRunningEdit(SlotLease lease) => _running.Exists(e => ReferenceEquals(e.Lease, lease));

    // plans the edit against the sequence as every earlier edit left it, checks it, and lets it join the next step
    private void Start(EditWork edit)
    {
        if (edit.Cancellation.IsCancellationRequested) edit.Fail(new OperationCanceledException(edit.Cancellation));
        else if (!edit.Lease.IsOpen) edit.Fail(Released(edit));
        else if (edit.Plan())
        {
            try
            {
                edit.Progress = _runner.Begin(edit.Edit);
                _running.Add(edit);
                return;
            }
            catch (Exception e)
            {
                Fault(edit, e);
            }
        }
        // nothing waits behind an edit that never ran: work queues behind a sequence only while one of its edits runs
    }

    // the sequence's edit is done (or failed): what waited behind it runs, up to its next edit
    private void StartNext(SlotLease lease)
    {
        while (_behind.TryGetValue(lease, out var queue))
        {
            var next = queue.Dequeue();
            if (queue.Count == 0) _behind.Remove(lease);
            Run(next);
            if (HasRunningEdit(lease)) return;
        }
    }

    // control work runs between steps, at once; an edit joins the next step. A fault fails the item, never the thread
    private void Run(SchedulerWork work)
    {
        try
        {
            if (work is EditWork edit) Start(edit);
            else ((ControlWork)work).Execute();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "model {Model}: scheduler work failed", _model);
            work.Fail(SchedulerFaults.Internal(_model, e));
        }
    }

    private void StepOnce()
    {
        // edits that can no longer run leave first (a cancelled prefill stops between its chunks)
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var e = _running[i];
            Exception? gone = e.Cancellation.IsCancellationRequested ? new OperationCanceledException(e.Cancellation)
                : !e.Lease.IsOpen ? Released(e) : null;
            if (gone is not null) Drop(e, () => e.Fail(gone));
        }
        if (_running.Count == 0) return;
        // small edits (decode rows, verifications, tiny prompts) go whole and first, outside the budget; prefills share the
        // budget fewest tokens left first (arrival order among equals), so a short prompt that arrives behind a 2k-token one
        // is in within a step or two instead of waiting out every chunk of it (its slot would sit idle meanwhile). A long
        // prefill waits only for the steps in which shorter prompts fill the budget: one per other slot at most, each in
        // for a step or two before it decodes (prompts are admitted into free slots only)
        var order = _running.Where(e => e.Progress!.Remaining <= StepBudget.SmallEdit).ToList();
        var smallRows = order.Sum(e => e.Progress!.Remaining);
        var decoding = order.Count > 0 || _gather.Decoding;
        order.AddRange(_running.Where(e => e.Progress!.Remaining > StepBudget.SmallEdit).OrderBy(e => e.Progress!.Remaining)); // stable
        var budget = smallRows + _budget.PrefillTokens(decoding);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // a lone edit may be aborted mid-decode by its caller; a shared decode is never aborted for one of many
            var (rows, sequences) = _runner.Step(order.ConvertAll(e => e.Progress!), budget, order.Count == 1 ? order[0].Cancellation : CancellationToken.None);
            var ticks = Stopwatch.GetTimestamp() - started;
            if (sequences > 1) Interlocked.Increment(ref _batchedSteps);
            Volatile.Write(ref _consecutiveFaults, 0);
            _budget.Observe(Math.Min(rows, smallRows), Math.Max(rows - smallRows, 0), ticks);
            Decoded?.Invoke(new DecodeStep(rows, sequences, ticks * 1000.0 / Stopwatch.Frequency));
        }
        catch (Exception e) when (order.Count > 1)
        {
            // the step failed: every sequence is back where it was, so each edit steps alone and fails only for itself
            _logger.LogInformation("model {Model}: a step of {Count} edits failed ({Reason}); retrying each alone", _model, order.Count, e.Message);
            foreach (var edit in order) StepAlone(edit, budget);
        }
        catch (Exception e)
        {
            Drop(order[0], () => Fault(order[0], e));
        }
        Finish(order, started);
    }

    private void StepAlone(EditWork edit, int budget)
    {
        try
        {
            _runner.Step([edit.Progress!], budget, edit.Cancellation);
            Volatile.Write(ref _consecutiveFaults, 0);
        }
        catch (Exception e)
        {
            Drop(edit, () => Fault(edit, e));
        }
    }

    // a running edit that ends without a result: it leaves, fails, and what waited behind its sequence runs
    private void Drop(EditWork edit, Action fail)
    {
        _running.Remove(edit);
        fail();
        StartNext(edit.Lease);
    }

    // edits decoded to the end complete (their text commits here first) and their sequences are expected back
    private void Finish(List<EditWork> order, long started)
    {
        var served = new List<SlotLease>();
        foreach (var e in order)
        {
            if (e.FirstStep == 0 && e.Progress!.Steps > 0) e.FirstStep = started;
            if (!e.Progress!.IsDone || !_running.Remove(e)) continue;
            e.Complete(e.Progress.Result() with { QueueMilliseconds = (e.FirstStep - e.Posted) * 1000.0 / Stopwatch.Frequency });
            served.Add(e.Lease);
            StartNext(e.Lease);
        }
        _gather.StepEnded(served, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private ChorusException Released(EditWork e) =>
        new(ChorusErrorKind.FailedPrecondition, $"sequence {e.Lease.Sequence.Id} of model '{_model}' was released before its edit ran");

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
        _stopping = true;
        _inbox.Writer.TryComplete();
        _posted.Set();
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
