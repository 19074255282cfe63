using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// Where a fused step's time goes, along its critical path (the member that answered last): the member call as the
/// session saw it, split into transport (messaging and serialisation: the call minus the grain's own time), the
/// model's queue, <c>llama_decode</c>, reading the rows (logits copy, log-sum-exp, top-k) and the rest of the grain's
/// work; then the session's fuse, sample and stream. Sums over the generation; per-step means at the end.
/// </summary>
internal sealed class StepTimings
{
    private double[] _call = [];
    private MemberTime?[] _steps = [];

    public int Steps { get; private set; }
    public double Call { get; private set; }
    public double Transport { get; private set; }
    public double Queue { get; private set; }
    public double Decode { get; private set; }
    public double Read { get; private set; }
    public double Grain { get; private set; }
    public double Sample { get; private set; }
    public double Stream { get; private set; }

    /// <summary>Starts a step of <paramref name="members"/> member calls.</summary>
    public void Begin(int members)
    {
        if (_call.Length != members) { _call = new double[members]; _steps = new MemberTime?[members]; }
        Array.Clear(_call);
        Array.Clear(_steps);
    }

    /// <summary>One member's call: its wall time as the session saw it and what the grain reported.</summary>
    public void Member(int index, double callMilliseconds, SequenceEditReply step) => Member(index, callMilliseconds, MemberTime.Of(step));

    /// <summary>One member's call: its wall time as the session saw it and the grain's own time, as far as it was split.</summary>
    public void Member(int index, double callMilliseconds, MemberTime step)
    {
        _call[index] = callMilliseconds;
        _steps[index] = step;
    }

    /// <summary>Closes the step: adds the slowest member's split.</summary>
    public void End()
    {
        var slowest = -1;
        for (var i = 0; i < _call.Length; i++)
            if (_steps[i] is not null && (slowest < 0 || _call[i] > _call[slowest])) slowest = i;
        if (slowest < 0) return;
        var s = _steps[slowest]!.Value;
        Steps++;
        Call += _call[slowest];
        Transport += Math.Max(0, _call[slowest] - s.Milliseconds);
        Queue += s.Queue;
        Decode += s.Decode;
        Read += s.Read;
        Grain += Math.Max(0, s.Milliseconds - s.Queue - s.Decode - s.Read);
    }

    public void AddSample(double ms) => Sample += ms;

    public void AddStream(double ms) => Stream += ms;

    /// <summary>Per-step means (0 when no step ran).</summary>
    public StepSplit Means()
    {
        var n = Math.Max(1, Steps);
        return new StepSplit(Call / n, Transport / n, Queue / n, Decode / n, Read / n, Grain / n, Sample / n, Stream / n);
    }
}

/// <summary>
/// A member call's time inside the model grain: all of it, and of that the queue, <c>llama_decode</c> and reading the rows
/// where the grain reported them (a speculative verification reports only the whole: the rest counts as grain time).
/// </summary>
internal readonly record struct MemberTime(double Milliseconds, double Queue = 0, double Decode = 0, double Read = 0)
{
    public static MemberTime Of(SequenceEditReply step) => new(step.Milliseconds, step.QueueMilliseconds, step.DecodeMilliseconds, step.ReadMilliseconds);
}
