using System.Collections.Concurrent;
using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Who holds which slot of a model runner, and the FIFO queue of requests waiting for slots (llama.cpp server's
/// deferred tasks, vLLM's "wait" allocation). A request needs all its slots at once and is granted them only in
/// queue order, so a large request is not starved by small ones. Mutated only on the scheduler thread; the ledger
/// can be read from any thread.
/// </summary>
internal sealed class SlotAdmission(ModelRunner runner, string model, int queueDepth)
{
    // an owner that ended may still have an admission in flight; it is refused for this long
    private static readonly TimeSpan EndedOwnerMemory = TimeSpan.FromMinutes(10);

    private readonly LinkedList<AdmissionWaiter> _queue = new();
    private readonly ConcurrentDictionary<long, SlotLease> _leases = new();
    private readonly Dictionary<Guid, long> _endedOwners = [];
    private long _nextLease;

    public int Waiting => _queue.Count;
    public int QueueDepth { get; } = queueDepth;

    /// <summary>Every granted sequence not yet freed (safe to read from any thread).</summary>
    public ICollection<SlotLease> Leases => _leases.Values;

    /// <summary>Raised on the scheduler thread: slots granted (+n) or freed (−n); a request joined the queue; a request left it after waiting this long.</summary>
    public event Action<int>? SlotsChanged;

    public event Action? WaitStarted;

    public event Action<TimeSpan>? WaitEnded;

    public bool TryFind(long lease, out SlotLease found) => _leases.TryGetValue(lease, out found!);

    /// <summary>Grants at once when nobody waits and the slots are free, else queues (or fails when the queue is full).</summary>
    public void Enqueue(AdmissionWaiter waiter)
    {
        if (_endedOwners.ContainsKey(waiter.Owner))
        {
            waiter.Fail(new ChorusException(ChorusErrorKind.Cancelled, $"session {waiter.Owner} has ended; its late request for slots of '{model}' was refused"));
            return;
        }
        if (_queue.Count == 0 && runner.FreeSequences >= waiter.Count)
        {
            Grant(waiter);
            return;
        }
        if (_queue.Count >= QueueDepth)
        {
            waiter.Fail(new ChorusException(ChorusErrorKind.ResourceExhausted,
                $"model '{model}' is at capacity: all {runner.MaxSequences} slots are taken and its queue is full ({_queue.Count} requests waiting); retry later, add replicas, or raise Chorus:Sessions:QueueDepth"));
            return;
        }
        waiter.Node = _queue.AddLast(waiter);
        WaitStarted?.Invoke();
        waiter.Report(_queue.Count, _queue.Count);
    }

    /// <summary>Takes a waiter out of the queue (cancelled, or its wait ran out) and lets the ones behind it move up.</summary>
    public void Withdraw(AdmissionWaiter waiter, Exception reason)
    {
        if (waiter.Node is null) return;
        Leave(waiter);
        waiter.Fail(reason);
        Pump(reportAll: true);
    }

    /// <summary>Frees one sequence.</summary>
    public bool Release(SlotLease lease)
    {
        if (Free([lease]) == 0) return false;
        Pump(reportAll: false);
        return true;
    }

    /// <summary>The owner has ended: withdraws its waiting requests, frees everything it holds, refuses it from now on.</summary>
    public int ReleaseOwner(Guid owner)
    {
        _endedOwners[owner] = Stopwatch.GetTimestamp();
        foreach (var waiter in _queue.Where(w => w.Owner == owner).ToList())
        {
            Leave(waiter);
            waiter.Fail(new ChorusException(ChorusErrorKind.Cancelled, $"session {owner} ended while waiting for slots of '{model}'"));
        }
        var freed = Free(_leases.Values.Where(l => l.Owner == owner).ToList());
        Pump(reportAll: true);
        return freed;
    }

    /// <summary>A new sequence for the owner of <paramref name="source"/>, holding a copy of its cache (no queueing: a holder waiting on itself could deadlock).</summary>
    public SlotLease Fork(SlotLease source)
    {
        if (runner.FreeSequences == 0 || _queue.Count > 0)
            throw new ChorusException(ChorusErrorKind.ResourceExhausted, $"no free slot of model '{model}' to fork a sequence into (all {runner.MaxSequences} taken or requests waiting); retry later");
        var lease = Register(source.Owner, runner.Fork(source.Sequence));
        SlotsChanged?.Invoke(1);
        return lease;
    }

    /// <summary>The safety net: frees sequences idle longer than <paramref name="idle"/> and forgets owners ended long ago. Returns the owners of what it freed.</summary>
    public IReadOnlyList<Guid> Sweep(TimeSpan idle)
    {
        var freed = new List<Guid>();
        foreach (var lease in _leases.Values.Where(l => !l.Busy && l.Idle > idle).ToList())
            if (Release(lease)) freed.Add(lease.Owner);
        foreach (var (owner, at) in _endedOwners.Where(p => Stopwatch.GetElapsedTime(p.Value) > EndedOwnerMemory).ToList())
            _endedOwners.Remove(owner);
        return freed;
    }

    /// <summary>Fails every waiter and frees every sequence (the model is going away).</summary>
    public void Shutdown(Exception reason)
    {
        foreach (var waiter in _queue.ToList())
        {
            Leave(waiter);
            waiter.Fail(reason);
        }
        Free(_leases.Values.ToList());
    }

    // Takes a waiter out of the queue (granted, withdrawn or failed next).
    private void Leave(AdmissionWaiter waiter)
    {
        _queue.Remove(waiter.Node!);
        waiter.Node = null;
        WaitEnded?.Invoke(waiter.Waited);
    }

    // Frees the leases still registered among these; returns how many it freed.
    private int Free(IReadOnlyList<SlotLease> leases)
    {
        var freed = 0;
        foreach (var lease in leases)
        {
            if (!_leases.TryRemove(lease.Id, out _)) continue;
            runner.Release(lease.Sequence);
            freed++;
        }
        if (freed > 0) SlotsChanged?.Invoke(-freed);
        return freed;
    }

    private void Grant(AdmissionWaiter waiter)
    {
        var handles = new SequenceHandle[waiter.Count];
        for (var i = 0; i < waiter.Count; i++) handles[i] = Register(waiter.Owner, runner.Open()).Handle(model);
        SlotsChanged?.Invoke(waiter.Count);
        waiter.Grant(handles);
    }

    private SlotLease Register(Guid owner, RunnerSequence sequence)
    {
        var lease = new SlotLease(++_nextLease, owner, new TextSequence(runner, sequence));
        _leases[lease.Id] = lease;
        return lease;
    }

    // Grants waiters from the head while their slots are free; tells the rest where they now stand.
    private void Pump(bool reportAll)
    {
        var moved = reportAll;
        while (_queue.First is { } head && runner.FreeSequences >= head.Value.Count)
        {
            Leave(head.Value);
            Grant(head.Value);
            moved = true;
        }
        if (!moved) return;
        var position = 0;
        foreach (var w in _queue) w.Report(++position, _queue.Count);
    }
}
