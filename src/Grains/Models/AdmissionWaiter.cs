using System.Diagnostics;
using System.Threading.Channels;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>A request for slots: its owner, how many it needs at once, and the stream its updates go to.</summary>
internal sealed class AdmissionWaiter(Guid owner, int count)
{
    private readonly Channel<AdmissionEvent> _updates = Channel.CreateUnbounded<AdmissionEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly long _since = Stopwatch.GetTimestamp();

    public Guid Owner { get; } = owner;
    public int Count { get; } = count;

    /// <summary>Its place in the queue while it waits; null before it joins and after it leaves.</summary>
    public LinkedListNode<AdmissionWaiter>? Node { get; set; }

    /// <summary>Set once it was granted or failed; later reports are ignored.</summary>
    public bool Done { get; private set; }

    public TimeSpan Waited => Stopwatch.GetElapsedTime(_since);

    /// <summary>Withdraws the waiter when the caller cancels or the maximum wait runs out (set by the scheduler).</summary>
    public IDisposable? Expiry { get; set; }

    public ChannelReader<AdmissionEvent> Updates => _updates.Reader;

    public void Report(int position, int queueLength)
    {
        if (!Done) _updates.Writer.TryWrite(new AdmissionQueued(position, queueLength));
    }

    public void Grant(SequenceHandle[] handles)
    {
        if (Done) return;
        Done = true;
        Expiry?.Dispose();
        _updates.Writer.TryWrite(new AdmissionGranted(handles));
        _updates.Writer.TryComplete();
    }

    public void Fail(Exception reason)
    {
        if (Done) return;
        Done = true;
        Expiry?.Dispose();
        _updates.Writer.TryComplete(reason);
    }
}
