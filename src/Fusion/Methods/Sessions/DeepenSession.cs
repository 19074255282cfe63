using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>DeePEn's per-step work over pooled buffers (see <see cref="DeepenMethod"/>).</summary>
/// <remarks>
/// Per-session memory: r̄, s and r̄/s over the anchors plus the main candidates' rows in double, (3 + candidates) × |A|
/// × 8 bytes, with the candidates capped so that their rows stay within 32 MiB (the default 64 up to |A| = 65k; 27 at
/// |A| = 152k). The relative spaces are shared (see <see cref="RelativeSpaceCache"/>).
/// </remarks>
internal sealed class DeepenSession : FusionSession
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private const double CosineTMax = 10; // the reference's CosineAnnealingLR(T_max = 10), whatever the number of steps
    private const long MainRowBudgetBytes = 32L << 20;
    private readonly DeepenOptions _options;
    private readonly float[] _weights;
    private readonly RelativeSpace[] _spaces;
    private readonly double[] _target;   // r̄ over anchors
    private readonly double[] _mixture;  // s = softmax(z_C) · M_main[C]
    private readonly double[] _ratio;    // r̄ / s where s > 0
    private double _targetLogTarget;     // Σ r̄ log r̄, once per step
    private readonly double[] _mainRows; // M_main[C], candidate j at j·|A|
    private readonly int[] _ids;
    private readonly float[] _values;
    private readonly double[] _z, _q, _grad, _m, _v;
    private readonly float[] _scratch;

    public DeepenSession(PreparedPack pack, MethodRequirements requirements, DeepenOptions options, float[] weights, RelativeSpace[] spaces)
        : base(pack, requirements)
    {
        _options = options;
        _weights = weights;
        _spaces = spaces;
        _target = new double[spaces[0].AnchorCount];
        _mixture = new double[spaces[0].AnchorCount];
        _ratio = new double[spaces[0].AnchorCount];
        var capacity = (int)Math.Max(1, Math.Min(options.Candidates, MainRowBudgetBytes / (spaces[0].AnchorCount * 8L)));
        _mainRows = new double[capacity * spaces[0].AnchorCount];
        _ids = new int[capacity];
        _values = new float[capacity];
        _z = new double[capacity];
        _q = new double[capacity];
        _grad = new double[capacity];
        _m = new double[capacity];
        _v = new double[capacity];
        _scratch = new float[pack.MainVocabularySize];
    }

    public override ReadOnlySpan<float> PreparedWeights => _weights;

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        var main = distributions[MainMember];
        var output = Step.LogProbsBuffer;
        LogSpace.WriteLogProbs(main, output);
        if (!main.IsFull) LogSpace.LogSoftmaxInPlace(output, _scratch);
        if (Pack.Main.Vocabulary.IsEndOfGeneration(main.ArgMax()))
        {
            Step.WeightsBuffer[MainMember] = 1;
            Step.ChosenMember = MainMember;
            Step.Ensembled = false;
            return Step;
        }
        Array.Clear(_target);
        for (var k = 0; k < distributions.Count; k++)
        {
            if (_weights[k] == 0) continue;
            var n = Top(distributions[k]);
            var lse = LogSumExp(_values, n);
            for (var i = 0; i < n; i++) _spaces[k].Row(_ids[i]).AddTo(_target, _weights[k] * Math.Exp(_values[i] - lse));
        }
        _targetLogTarget = 0;
        foreach (var r in _target) if (r > 0) _targetLogTarget += r * Math.Log(r);
        var count = Top(main);
        for (var j = 0; j < count; j++) _spaces[MainMember].Row(_ids[j]).CopyTo(MainRow(j));
        // z starts from the main log-probs the target was built from (softmax is blind to the reference's raw-logit
        // offset, and so is the decay, which scales every logit alike), so that one member gives exactly r̄ = s.
        for (var i = 0; i < count; i++) _z[i] = _values[i];
        var (objective, decay) = Optimise(count);
        Step.Objective = (float)objective;
        // AdamW decays every logit of the vocabulary; the tokens outside the candidates get only that.
        TensorPrimitives.Multiply(output, (float)decay, output);
        for (var i = 0; i < count; i++) output[_ids[i]] = (float)_z[i];
        LogSpace.LogSoftmaxInPlace(output, _scratch);
        _weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }

    // AdamW on z_C; returns the final loss, KL(r̄ ‖ s) / |A| (KLDivLoss's mean), and the decay factor every logit took.
    private (double Objective, double Decay) Optimise(int count)
    {
        Array.Clear(_m, 0, count);
        Array.Clear(_v, 0, count);
        var lr0 = _options.LearningRate;
        // Already matched (one member, or members that agree): the gradient is zero, and Adam would turn its rounding
        // noise into lr-sized moves (m̂/√v̂ ≈ ±1) that could flip near-tied candidates; only the decay applies.
        var matched = Forward(count) <= 1e-12;
        double decay = 1;
        for (var t = 0; t < _options.Steps; t++)
        {
            var lr = lr0 / 4 + (lr0 - lr0 / 4) * (1 + Math.Cos(Math.PI * t / CosineTMax)) / 2;
            var shrink = 1 - lr * _options.WeightDecay; // PyTorch's AdamW decays before the Adam step
            decay *= shrink;
            for (var j = 0; j < count; j++) _z[j] *= shrink;
            if (matched) continue;
            if (t > 0) Forward(count);
            Gradient(count);
            double c1 = 1 - Math.Pow(Beta1, t + 1), c2 = 1 - Math.Pow(Beta2, t + 1);
            for (var j = 0; j < count; j++)
            {
                _m[j] = Beta1 * _m[j] + (1 - Beta1) * _grad[j];
                _v[j] = Beta2 * _v[j] + (1 - Beta2) * _grad[j] * _grad[j];
                _z[j] -= lr * (_m[j] / c1) / (Math.Sqrt(_v[j] / c2) + Epsilon);
            }
        }
        return (Forward(count) / _target.Length, decay);
    }

    // q = softmax(z_C), s = q · M_main[C]; returns KL(r̄ ‖ s) (anchors where r̄ = 0 add nothing).
    private double Forward(int count)
    {
        var max = double.NegativeInfinity;
        for (var j = 0; j < count; j++) max = Math.Max(max, _z[j]);
        double sum = 0;
        for (var j = 0; j < count; j++) sum += _q[j] = Math.Exp(_z[j] - max);
        Array.Clear(_mixture);
        for (var j = 0; j < count; j++)
        {
            _q[j] /= sum;
            TensorPrimitives.MultiplyAdd(MainRow(j), _q[j], _mixture, _mixture);
        }
        TensorPrimitives.Max(_mixture, 1e-300, _ratio); // _ratio as scratch: Gradient rewrites it
        TensorPrimitives.Log(_ratio, _ratio);
        return _targetLogTarget - TensorPrimitives.Dot(_target, _ratio);
    }

    // ∂(KL/|A|)/∂z_j = −q_j (Σ_a r̄_a M_ja / s_a − Σ_{a: s_a > 0} r̄_a) / |A|: KLDivLoss's mean over the anchors.
    private void Gradient(int count)
    {
        double covered = 0;
        for (var a = 0; a < _target.Length; a++)
        {
            var cover = _mixture[a] > 0;
            if (cover) covered += _target[a];
            _ratio[a] = cover ? _target[a] / _mixture[a] : 0;
        }
        double anchors = _target.Length;
        for (var j = 0; j < count; j++) _grad[j] = -_q[j] * (TensorPrimitives.Dot(MainRow(j), _ratio) - covered) / anchors;
    }

    private Span<double> MainRow(int j) => _mainRows.AsSpan(j * _target.Length, _target.Length);

    // The member's candidates into _ids/_values as log-probs, most probable first: its top tokens until they hold
    // 1 − candidate-tail of its mass, at most the buffers' capacity; returns how many.
    private int Top(TokenDistribution d)
    {
        int n;
        if (d.IsFull)
        {
            n = TopKSelector.Select(d.Logits, _ids, _values);
            var lse = d.LogSumExp;
            for (var i = 0; i < n; i++) _values[i] -= lse;
        }
        else
        {
            n = Math.Min(_ids.Length, d.TopTokens.Length);
            d.TopTokens[..n].CopyTo(_ids);
            d.TopLogProbs[..n].CopyTo(_values);
        }
        var enough = 1 - _options.CandidateTail;
        double mass = 0;
        for (var i = 0; i < n; i++)
        {
            mass += Math.Exp(_values[i]);
            if (mass >= enough) return i + 1;
        }
        return n;
    }

    private static double LogSumExp(float[] values, int n)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (var i = 0; i < n; i++) max = Math.Max(max, values[i]);
        for (var i = 0; i < n; i++) sum += Math.Exp(values[i] - max);
        return max + Math.Log(sum);
    }
}
