namespace Chorus.Fusion;

/// <summary>
/// How method <c>byte</c> weights its members' next-byte distributions: fixed (uniform, or PackLLM's prompt weights,
/// compared per byte across vocabularies) or online (fixed share per byte, starting from the prompt weights).
/// </summary>
public sealed class ByteWeighting
{
    private readonly double[] _fixed;
    private readonly FixedShareWeights? _online;

    private ByteWeighting(double[] start, double switchingRate, bool online)
    {
        _fixed = start;
        _online = online ? new FixedShareWeights(start, switchingRate) : null;
    }

    /// <summary>Weights that never change.</summary>
    public static ByteWeighting Fixed(ReadOnlySpan<double> weights) => new(weights.ToArray(), 0, online: false);

    /// <summary>Fixed share from <paramref name="start"/> with switching rate <paramref name="switchingRate"/> per byte.</summary>
    public static ByteWeighting FixedShare(ReadOnlySpan<double> start, double switchingRate) => new(start.ToArray(), switchingRate, online: true);

    /// <summary>True when the weights follow the text.</summary>
    public bool IsOnline => _online is not null;

    /// <summary>The weights for the next byte.</summary>
    public ReadOnlySpan<double> Current => _online is null ? _fixed : _online.Weights;

    /// <summary>Learns from each member's log-probability of the byte that came (online only).</summary>
    public void Observe(ReadOnlySpan<double> logProbOfByte) => _online?.Update(logProbOfByte);
}
