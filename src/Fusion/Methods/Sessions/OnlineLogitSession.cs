using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// <c>online</c> with <c>mix=logit</c>: PackLLM's logit mixture p_λ = softmax(Σ λ_k log p_k) whose λ follows the text —
/// after each token x, exponentiated gradient on the mixture's own loss −log p_λ(x), then a fixed share a/K.
/// </summary>
/// <remarks>
/// ∂(−log p_λ(x))/∂λ_k = −(log p_k(x) − E_{p_λ}[log p_k]): a member gains weight when it gave the token more
/// log-probability than it gives on average under the fused distribution. The update λ_k ∝ λ_k exp(−η g_k) is the
/// exponentiated-gradient step (Kivinen &amp; Warmuth 1997) for a convex loss on the simplex (−log p_λ(x) is convex in
/// λ: a log-partition minus a linear term); the fixed share (Herbster &amp; Warmuth 1998) lets a member that lost its
/// weight regain it after a domain change. The probability mixture's Bayesian posterior (<c>mix=probability</c>)
/// is the optimal update for a probability mixture, not for a logit mixture, hence this rule.
/// <para>With <c>scale=online</c> Σλ is not held at 1: the step is unnormalised (EGU, Kivinen &amp; Warmuth 1997), so
/// the same gradient also learns how sharp the fused distribution should be — Σλ &lt; 1 flattens it where every member
/// is surprised by the text (text none of them was trained on), Σλ &gt; 1 sharpens it where they agree. Σλ is kept in
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>]; the reported member weights are λ / Σλ.</para>
/// </remarks>
internal sealed class OnlineLogitSession : FusionSession
{
    private readonly double[] _lambda;
    private readonly float[] _mix;
    private readonly double[] _expected;
    private readonly double[] _gradient;
    private readonly float[] _memberLogProbs;
    private readonly float[] _fusedProbs;
    private readonly LogitMixSession _inner;
    private readonly double _rate;
    private readonly double _share;
    private IReadOnlyList<TokenDistribution>? _last;

    /// <summary>Bounds of Σλ with <c>scale=online</c>: a safety range, far from what the zoo reaches.</summary>
    public const double MinScale = 0.05, MaxScale = 5;

    private readonly bool _freeScale;

    public OnlineLogitSession(PreparedPack pack, MethodRequirements requirements, ReadOnlySpan<double> start, double learningRate, double switchingRate, bool freeScale = false)
        : base(pack, requirements)
    {
        _freeScale = freeScale;
        _lambda = start.ToArray();
        _mix = new float[pack.Count];
        _expected = new double[pack.Count];
        _gradient = new double[pack.Count];
        _memberLogProbs = new float[pack.MainVocabularySize];
        _fusedProbs = new float[pack.MainVocabularySize];
        _rate = learningRate;
        _share = switchingRate;
        _inner = new LogitMixSession(pack, requirements, _mix); // reads _mix, which this session refreshes each step
    }

    /// <summary>The current λ.</summary>
    public ReadOnlySpan<double> Weights => _lambda;

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        for (var k = 0; k < _mix.Length; k++) _mix[k] = (float)_lambda[k];
        var step = _inner.Fuse(distributions);
        if (_freeScale)
        {
            var total = TensorPrimitives.Sum<float>(step.WeightsBuffer);
            if (total > 0) TensorPrimitives.Divide(step.WeightsBuffer, total, step.WeightsBuffer);
        }
        // E_{p_λ}[log p_k] for the gradient, while the fused distribution is at hand
        TensorPrimitives.Exp(step.LogProbs, _fusedProbs);
        for (var k = 0; k < _expected.Length; k++)
        {
            LogSpace.WriteLogProbs(distributions[k], _memberLogProbs);
            TensorPrimitives.Max(_memberLogProbs, LogSpace.Floor, _memberLogProbs);
            _expected[k] = TensorPrimitives.Dot(_fusedProbs, _memberLogProbs);
        }
        _last = distributions;
        return step;
    }

    public override void Observe(int token)
    {
        if (_last is null) return;
        var max = double.NegativeInfinity;
        for (var k = 0; k < _lambda.Length; k++)
        {
            var d = _last[k];
            var lp = Math.Max(LogSpace.Floor, d.TryGetLogProb(token, out var l) ? l : LogSpace.TailLogProb(d));
            _gradient[k] = _lambda[k] > 0 ? Math.Log(_lambda[k]) + _rate * (lp - _expected[k]) : double.NegativeInfinity;
            max = Math.Max(max, _gradient[k]);
        }
        _last = null;
        if (!double.IsFinite(max)) return;
        double sum = 0;
        for (var k = 0; k < _lambda.Length; k++) sum += _gradient[k] = Math.Exp(_gradient[k] - max);
        // EG normalises to Σλ = 1; EGU keeps the unnormalised total exp(max)·sum, within the safety range
        var scale = _freeScale ? Math.Clamp(Math.Exp(max) * sum, MinScale, MaxScale) : 1.0;
        var share = _share / _lambda.Length;
        for (var k = 0; k < _lambda.Length; k++) _lambda[k] = scale * ((1 - _share) * (_gradient[k] / sum) + share);
    }
}
