using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// One dlf generation: the per-expert shifts d_i = log P_{m_i} − log P_m and targets t_i = KL(P_{m_i} ‖ P_m) of each
/// step, and the search for α on the grid minimising Σ_i (K(α) − t_i)² with K(α) = KL(P̃_α ‖ P_M).
/// </summary>
/// <remarks>
/// K is computed without materialising log P̃: with s = Σ α_i d_i, log P̃ − log P_M = s − (lse(z_M + s) − lse(z_M)),
/// so K = E_P̃[s] − lse(z_M + s) + lse(z_M); one exp pass per grid point evaluated.
/// One expert: K(α) is non-decreasing on α ≥ 0 (dK/dα = α·Var_P̃(d) ≥ 0), so the grid point nearest the target sits
/// where K crosses it: a binary search finds it with about log₂(21) + 1 evaluations and gives the full scan's argmin.
/// Two experts: brute force over the grid product (21² evaluations), exact. Along one coordinate K is not monotone
/// once another α is non-zero (dK/dα_j = Cov_P̃(s, d_j)), so there is no binary search to reuse.
/// Note Σ_i (K − t_i)² = T·(K − t̄)² + Σ_i (t_i − t̄)²: the objective asks only that K hit the mean target t̄, so its
/// minimum is a thin level set of K, and an expert whose shift barely moves K gets whatever α rounds best.
/// Three or more experts: a LOCAL search, not exact. It starts from the best (by the joint objective) of the vector of
/// per-expert solutions (each α_i the single-expert argmin for its own target) and of each per-expert solution alone
/// (the paper's one-expert-per-step candidates, so it is never worse than that rule), then moves one PAIR of
/// coordinates at a time, brute force over that pair's grid product, until a round changes nothing. On seeded
/// synthetic logits (3 experts, 32 tokens, 200 trials; DynamicLogitFusionJointTests) it reaches the brute-force
/// argmin's objective in 129 of 200 trials (64.5%; one coordinate at a time reached it in 39); its objective is above
/// the optimum by at most 3.5e-5 (median over trials 1.6e-8) and never above the one-expert rule's. Brute force for
/// 3 experts would cost 21³ = 9261 evaluations a step, against about 1.3k a round here.
/// Ties keep the earlier point (smaller α, lower expert index first).
/// </remarks>
internal sealed class DynamicLogitFusionSession : FusionSession
{
    private const int MaxDescentRounds = 64;

    private readonly int[] _experts;
    private readonly int _baseMember;
    private readonly float[] _grid;
    private readonly float[] _large;
    private readonly float[] _small;
    private readonly float[] _expert;
    private readonly float[] _combined;
    private readonly float[] _work;
    private readonly float[][] _shifts;
    private readonly double[] _targets;
    private readonly double[] _kl;
    private readonly int[] _point;
    private readonly int[] _best;
    private readonly int[] _seed;

    public DynamicLogitFusionSession(PreparedPack pack, MethodRequirements requirements, int[] experts, int baseMember, float[] grid)
        : base(pack, requirements)
    {
        _experts = experts;
        _baseMember = baseMember;
        _grid = grid;
        var size = pack.MainVocabularySize;
        _large = new float[size];
        _small = new float[size];
        _expert = new float[size];
        _combined = new float[size];
        _work = new float[size];
        _shifts = new float[experts.Length][];
        for (var i = 0; i < experts.Length; i++) _shifts[i] = new float[size];
        _targets = new double[experts.Length];
        _kl = new double[grid.Length];
        _point = new int[experts.Length];
        _best = new int[experts.Length];
        _seed = new int[experts.Length];
    }

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        LogSpace.WriteLogProbs(distributions[MainMember], _large);
        LogSpace.WriteLogProbs(distributions[_baseMember], _small);
        for (var i = 0; i < _experts.Length; i++)
        {
            LogSpace.WriteLogProbs(distributions[_experts[i]], _expert);
            TensorPrimitives.Subtract(_expert, _small, _shifts[i]);
            // Target: KL(P_{m_i} ‖ P_m) = Σ p_i (log p_i − log p_m) = E_{p_i}[d_i].
            TensorPrimitives.Exp(_expert, _work);
            _targets[i] = TensorPrimitives.Dot(_work, _shifts[i]);
        }
        var objective = _experts.Length switch
        {
            1 => SearchOne(),
            2 => SearchTwo(),
            _ => SearchDescent(),
        };
        if (double.IsNaN(objective) || double.IsPositiveInfinity(objective)) Array.Clear(_best); // every objective NaN: fall back to M
        return Emit(objective);
    }

    // The single-expert path: binary search on the monotone K, then the better of the two neighbours.
    private double SearchOne()
    {
        var g = BestAlone(0, out var objective);
        _best[0] = Math.Max(0, g);
        return objective;
    }

    private double SearchTwo()
    {
        var bestObjective = double.PositiveInfinity;
        for (var a = 0; a < _grid.Length; a++)
        {
            _point[0] = a;
            for (var b = 0; b < _grid.Length; b++)
            {
                _point[1] = b;
                var objective = Objective(_point);
                if (objective < bestObjective) { bestObjective = objective; _point.CopyTo(_best, 0); }
            }
        }
        return bestObjective;
    }

    private double SearchDescent()
    {
        var n = _experts.Length;
        for (var i = 0; i < n; i++) _seed[i] = Math.Max(0, BestAlone(i, out _));
        _seed.CopyTo(_best, 0);
        var bestObjective = Objective(_best);
        for (var i = 0; i < n; i++)
        {
            Array.Clear(_point);
            _point[i] = _seed[i];
            var objective = Objective(_point);
            if (objective < bestObjective) { bestObjective = objective; _point.CopyTo(_best, 0); }
        }
        _best.CopyTo(_point, 0);
        for (var round = 0; round < MaxDescentRounds; round++)
        {
            var moved = false;
            for (var i = 0; i < n; i++)
            {
                for (var j = i + 1; j < n; j++)
                {
                    // the grid product of (α_i, α_j) with the others held: one 2-D brute force per pair
                    for (var a = 0; a < _grid.Length; a++)
                    {
                        _point[i] = a;
                        for (var b = 0; b < _grid.Length; b++)
                        {
                            _point[j] = b;
                            var objective = Objective(_point);
                            if (objective < bestObjective) { bestObjective = objective; _best[i] = a; _best[j] = b; moved = true; }
                        }
                    }
                    _point[i] = _best[i];
                    _point[j] = _best[j];
                }
            }
            if (!moved) break;
        }
        return bestObjective;
    }

    // Expert i alone: the grid index whose (K − t_i)² is lowest (−1 when every objective is NaN).
    private int BestAlone(int i, out double bestObjective)
    {
        var target = _targets[i];
        Array.Fill(_kl, double.NaN);
        // first grid point whose K reaches the target; the best point is it or the one before it
        int lo = 0, hi = _grid.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (Kl(i, mid) >= target) hi = mid;
            else lo = mid + 1;
        }
        bestObjective = double.PositiveInfinity;
        var best = -1;
        for (var g = Math.Max(0, lo - 1); g <= Math.Min(lo, _grid.Length - 1); g++)
        {
            var kl = Kl(i, g);
            var objective = (kl - target) * (kl - target);
            if (objective < bestObjective) { bestObjective = objective; best = g; }
        }
        return best;
    }

    // K at grid point g for expert i alone, evaluated at most once per expert.
    private double Kl(int i, int g) => double.IsNaN(_kl[g]) ? _kl[g] = ShiftedKl(_shifts[i], _grid[g]) : _kl[g];

    // KL(softmax(z_M + α d) ‖ P_M) with z_M = the main log-probs (lse(z_M) = 0).
    private double ShiftedKl(float[] shift, float alpha)
    {
        if (alpha == 0) return 0;
        TensorPrimitives.MultiplyAdd(shift, alpha, _large, _work);
        var max = TensorPrimitives.Max(_work);
        TensorPrimitives.Subtract(_work, max, _work);
        TensorPrimitives.Exp(_work, _work);
        double sum = TensorPrimitives.Sum(_work);
        double expectation = TensorPrimitives.Dot(_work, shift) / sum;
        return alpha * expectation - (max + Math.Log(sum));
    }

    // The joint objective Σ_i (K(α) − t_i)² at the grid point whose per-expert indices are given.
    private double Objective(int[] point)
    {
        double kl = 0;
        if (Combine(point))
        {
            TensorPrimitives.Add(_combined, _large, _work);
            var max = TensorPrimitives.Max(_work);
            TensorPrimitives.Subtract(_work, max, _work);
            TensorPrimitives.Exp(_work, _work);
            double sum = TensorPrimitives.Sum(_work);
            kl = TensorPrimitives.Dot(_work, _combined) / sum - (max + Math.Log(sum));
        }
        double objective = 0;
        foreach (var t in _targets) objective += (kl - t) * (kl - t);
        return objective;
    }

    // s = Σ α_i d_i into the combined buffer; false when every α is 0 (s = 0, K = 0).
    private bool Combine(int[] point)
    {
        Array.Clear(_combined);
        var any = false;
        for (var i = 0; i < point.Length; i++)
        {
            var alpha = _grid[point[i]];
            if (alpha == 0) continue;
            TensorPrimitives.MultiplyAdd(_shifts[i], alpha, _combined, _combined);
            any = true;
        }
        return any;
    }

    private FusedStep Emit(double objective)
    {
        var output = Step.LogProbsBuffer;
        if (_experts.Length == 1) TensorPrimitives.MultiplyAdd(_shifts[0], _grid[_best[0]], _large, output);
        else
        {
            Combine(_best);
            TensorPrimitives.Add(_combined, _large, output);
        }
        LogSpace.LogSoftmaxInPlace(output, _work);
        Step.WeightsBuffer[MainMember] = 1;
        float total = 0;
        var chosen = 0;
        for (var i = 0; i < _experts.Length; i++)
        {
            var alpha = _grid[_best[i]];
            Step.WeightsBuffer[_experts[i]] = alpha;
            total += alpha;
            if (alpha > _grid[_best[chosen]]) chosen = i;
        }
        Step.WeightsBuffer[_baseMember] = -total;
        Step.Alpha = total;
        Step.ChosenMember = _experts[chosen];
        Step.Objective = (float)objective;
        return Step;
    }
}
