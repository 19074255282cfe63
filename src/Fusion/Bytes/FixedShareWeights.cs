namespace Chorus.Fusion;

/// <summary>
/// Online member weights by fixed share (Herbster &amp; Warmuth 1998, "Tracking the Best Expert"): after each observed
/// symbol x (a token of a shared vocabulary, or a byte), v_k = w_k p_k(x) / Σ_j w_j p_j(x) — the Bayesian posterior
/// over members — then w_k = (1 − a) v_k + a / K, so a member that was poor can regain weight when the text changes
/// domain (regret about log K plus the switch cost per switch). a = 0 is the plain Bayesian mixture.
/// </summary>
public sealed class FixedShareWeights
{
    private readonly double[] _weights;
    private readonly double[] _scratch;

    /// <param name="initial">Starting weights (normalised here): uniform, or a prompt-based prior such as PackLLM's.</param>
    /// <param name="switchingRate">a in [0, 1): the share redistributed uniformly after every symbol.</param>
    public FixedShareWeights(ReadOnlySpan<double> initial, double switchingRate)
    {
        if (initial.Length == 0) throw new ArgumentException("fixed share needs at least one member", nameof(initial));
        if (!(switchingRate >= 0 && switchingRate < 1)) throw new ArgumentOutOfRangeException(nameof(switchingRate), switchingRate, "the switching rate must be in [0, 1)");
        SwitchingRate = switchingRate;
        _weights = initial.ToArray();
        _scratch = new double[initial.Length];
        double sum = 0;
        foreach (var w in _weights)
        {
            if (!(w >= 0)) throw new ArgumentException("initial weights must be ≥ 0", nameof(initial));
            sum += w;
        }
        if (!(sum > 0)) Array.Fill(_weights, 1.0 / _weights.Length);
        else for (var k = 0; k < _weights.Length; k++) _weights[k] /= sum;
    }

    public double SwitchingRate { get; }

    /// <summary>The current weights (sum to 1).</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>Uniform starting weights for <paramref name="members"/> members.</summary>
    public static double[] Uniform(int members)
    {
        var w = new double[members];
        Array.Fill(w, 1.0 / members);
        return w;
    }

    /// <summary>Updates after one symbol, given each member's log-probability of it (−∞ allowed: that member gets no posterior weight).</summary>
    public void Update(ReadOnlySpan<double> logProbOfObserved)
    {
        if (logProbOfObserved.Length != _weights.Length) throw new ArgumentException($"need one log-probability per member ({_weights.Length})", nameof(logProbOfObserved));
        var max = double.NegativeInfinity;
        for (var k = 0; k < _weights.Length; k++)
        {
            _scratch[k] = _weights[k] > 0 ? Math.Log(_weights[k]) + logProbOfObserved[k] : double.NegativeInfinity;
            max = Math.Max(max, _scratch[k]);
        }
        if (double.IsNegativeInfinity(max) || double.IsNaN(max)) return; // no member explains the symbol: keep the prior
        double sum = 0;
        for (var k = 0; k < _weights.Length; k++) sum += _scratch[k] = Math.Exp(_scratch[k] - max);
        var share = SwitchingRate / _weights.Length;
        for (var k = 0; k < _weights.Length; k++) _weights[k] = (1 - SwitchingRate) * (_scratch[k] / sum) + share;
    }
}
