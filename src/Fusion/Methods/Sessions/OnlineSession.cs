namespace Chorus.Fusion;

/// <summary>
/// The <c>online</c> session: a probability average whose weights (<see cref="FixedShareWeights"/>) are updated in
/// <see cref="Observe"/> from each member's probability of the chosen token, read from the distributions it fused.
/// </summary>
internal sealed class OnlineSession : FusionSession
{
    private readonly FixedShareWeights _weights;
    private readonly float[] _mix;
    private readonly double[] _observed;
    private readonly WeightedAverageSession _average;
    private IReadOnlyList<TokenDistribution>? _last;

    public OnlineSession(PreparedPack pack, MethodRequirements requirements, FixedShareWeights weights) : base(pack, requirements)
    {
        _weights = weights;
        _mix = new float[pack.Count];
        _observed = new double[pack.Count];
        _average = new WeightedAverageSession(pack, requirements, _mix); // reads _mix, which this session refreshes each step
    }

    /// <summary>The current weights.</summary>
    public ReadOnlySpan<double> Weights => _weights.Weights;

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        for (var k = 0; k < _mix.Length; k++) _mix[k] = (float)_weights.Weights[k];
        _last = distributions;
        return _average.Fuse(distributions);
    }

    public override void Observe(int token)
    {
        if (_last is null) return;
        for (var k = 0; k < _observed.Length; k++)
        {
            var d = _last[k];
            _observed[k] = d.TryGetLogProb(token, out var lp) ? lp : LogSpace.TailLogProb(d);
        }
        _weights.Update(_observed);
        _last = null;
    }
}
