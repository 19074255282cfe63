using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// One granted sequence: who owns it, its KV sequence (as a text-following sequence), and when it was last used.
/// Created and freed only on the model's scheduler thread; read by the grain to plan work.
/// </summary>
internal sealed class SlotLease(long id, Guid owner, TextSequence text)
{
    private long _lastUsed = Stopwatch.GetTimestamp();
    private int _busy;

    public long Id { get; } = id;
    public Guid Owner { get; } = owner;
    public TextSequence Text { get; } = text;
    public RunnerSequence Sequence => Text.Sequence;

    /// <summary>False once freed (by its owner, the owner's end, the sweep or deactivation).</summary>
    public bool IsOpen => Sequence.IsOpen;

    /// <summary>True while a call on the sequence is in flight (the sweep leaves it alone).</summary>
    public bool Busy => Volatile.Read(ref _busy) > 0;

    public TimeSpan Idle => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public SequenceHandle Handle(string model) => new(model, Sequence.Id, Id);

    /// <summary>Marks the lease busy until the returned scope is disposed (then it counts as used now).</summary>
    public Scope Use()
    {
        Interlocked.Increment(ref _busy);
        return new Scope(this);
    }

    public readonly struct Scope(SlotLease lease) : IDisposable
    {
        public void Dispose()
        {
            Interlocked.Exchange(ref lease._lastUsed, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref lease._busy);
        }
    }
}
