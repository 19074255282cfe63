using System.Diagnostics;

namespace Chorus.Grains;

/// <summary>
/// Makes decode steps fill. The sequences a step served come back with their next edit a moment later (their session fuses,
/// samples and streams first); a scheduler that decodes whatever is ready the moment a step ends runs a string of small
/// decodes instead, each starting before most of the others have returned — on a 2-core machine the decode itself keeps
/// those sessions off the cores. So the next step waits for the sequences the last one served, and no longer than
/// <see cref="StepOptions.GatherSteps"/> steps' time: a sequence late past that (its session waits on a slow member
/// elsewhere, or on a slow client) is not waited for again until it has been on time for a while, so one slow session
/// cannot slow every step.
/// </summary>
internal sealed class StepGather(double gatherSteps)
{
    // a late sequence is not waited for during this many of its own steps
    private const int LatePenalty = 8;
    private const double MinWaitMs = 0.25;
    private const double MaxWaitMs = 50;

    private readonly HashSet<SlotLease> _expected = [];
    private readonly Dictionary<SlotLease, int> _late = [];
    private long _deadline;
    private int _stepsSinceServed = int.MaxValue;

    /// <summary>Steps that went ahead without a sequence they had waited for (for diagnostics).</summary>
    public long MissedSequences { get; private set; }

    public bool Waiting => _expected.Count > 0;

    /// <summary>
    /// Some sequence finished an edit within the last few steps, so sequences are decoding on this replica even when none
    /// is in the step at hand (it may be late): a prefill beside them is chunked.
    /// </summary>
    public bool Decoding => _stepsSinceServed <= LatePenalty;

    /// <summary>A step ended: wait for these sequences, up to the window that <paramref name="stepMs"/> sets.</summary>
    public void StepEnded(IReadOnlyCollection<SlotLease> served, double stepMs)
    {
        _stepsSinceServed = served.Count > 0 ? 0 : _stepsSinceServed == int.MaxValue ? int.MaxValue : _stepsSinceServed + 1;
        _expected.Clear();
        if (gatherSteps <= 0) return;
        if (_late.Count > 0)
            foreach (var gone in _late.Keys.Where(l => !l.IsOpen).ToList()) _late.Remove(gone);
        foreach (var lease in served)
        {
            if (_late.TryGetValue(lease, out var left))
            {
                if (left > 1) _late[lease] = left - 1;
                else _late.Remove(lease);
                continue;
            }
            _expected.Add(lease);
        }
        var waitMs = Math.Clamp(stepMs * gatherSteps, MinWaitMs, MaxWaitMs);
        _deadline = Stopwatch.GetTimestamp() + (long)(waitMs * Stopwatch.Frequency / 1000);
    }

    /// <summary>An expected sequence came back with an edit.</summary>
    public void Arrived(SlotLease lease) => _expected.Remove(lease);

    /// <summary>Time left to wait for the expected sequences; zero when none is expected (any more) or the window has passed.</summary>
    public TimeSpan Remaining()
    {
        // a sequence released meanwhile (its session ended) will not come back
        if (_expected.Count > 0) _expected.RemoveWhere(l => !l.IsOpen);
        if (_expected.Count == 0) return TimeSpan.Zero;
        var left = _deadline - Stopwatch.GetTimestamp();
        return left > 0 ? TimeSpan.FromTicks(left * TimeSpan.TicksPerSecond / Stopwatch.Frequency) : TimeSpan.Zero;
    }

    /// <summary>The window passed: the sequences still missing are marked late and the step goes ahead without them.</summary>
    public void GiveUp()
    {
        foreach (var lease in _expected)
        {
            _late[lease] = LatePenalty;
            MissedSequences++;
        }
        _expected.Clear();
    }
}
