using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// <c>dlf</c> (dynamic logit fusion, weak-to-strong): each step, for each expert i and each α on the grid
/// 0, step, …, max, P̃ = softmax(z_M + α (z_{m_i} − z_m)) and the objective (KL(P̃ ‖ P_M) − KL(P_{m_i} ‖ P_m))²;
/// the expert/α with the lowest objective is applied (one expert per step, as the paper does for T > 1).
/// Ties keep the smaller α, then the lower expert index.
/// </summary>
/// <remarks>
/// KL(P̃ ‖ P_M) is computed without materialising log P̃: with d = z_{m_i} − z_m,
/// log P̃ − log P_M = α d − (lse(z_M + α d) − lse(z_M)), so KL = α E_P̃[d] − lse(z_M + α d) + lse(z_M).
/// One exp pass per grid point evaluated. KL(P̃_α ‖ P_M) is non-decreasing on α ≥ 0 (dKL/dα = α·Var_P̃(d) ≥ 0), so
/// the grid point nearest the target sits where KL crosses it: a binary search over the grid finds it with about
/// log₂(21) + 1 evaluations instead of 21, and gives the same grid argmin as a full scan.
/// </remarks>
public sealed class DynamicLogitFusionMethod(int topK, double alphaMax, double alphaStep)
    : FusionMethod(FusionMethods.DynamicLogitFusion, new MethodRequirements(topK, VocabularyAlignment.SameVocabulary))
{
    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var experts = MembersWith(pack, MemberRole.Expert);
        var bases = MembersWith(pack, MemberRole.Base);
        if (experts.Count == 0 || bases.Count != 1)
            throw new FusionPackException($"'{Name}' needs one member with role 'base' (the small untuned model m) and at least one 'expert' (m_i tuned from m); got {bases.Count} base and {experts.Count} experts");
        if (MembersWith(pack, MemberRole.AntiExpert).Count > 0)
            throw new FusionPackException($"'{Name}' has no use for 'anti-expert' members; use proxy-tuning for DExperts");
        var points = alphaStep <= 0 ? 1 : (int)Math.Floor(alphaMax / alphaStep + 1e-9) + 1;
        var grid = new float[points];
        for (var g = 0; g < points; g++) grid[g] = (float)(g * alphaStep);
        return new Session(pack, Requirements, [.. experts], bases[0], grid);
    }

    private sealed class Session(PreparedPack pack, MethodRequirements requirements, int[] experts, int baseMember, float[] grid)
        : FusionSession(pack, requirements)
    {
        private readonly float[] _large = new float[pack.MainVocabularySize];
        private readonly float[] _small = new float[pack.MainVocabularySize];
        private readonly float[] _expert = new float[pack.MainVocabularySize];
        private readonly float[] _shift = new float[pack.MainVocabularySize];
        private readonly float[] _bestShift = new float[pack.MainVocabularySize];
        private readonly float[] _work = new float[pack.MainVocabularySize];
        private readonly double[] _kl = new double[grid.Length];

        protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
        {
            LogSpace.WriteLogProbs(distributions[MainMember], _large);
            LogSpace.WriteLogProbs(distributions[baseMember], _small);
            var bestObjective = double.PositiveInfinity;
            float bestAlpha = 0;
            var bestExpert = experts[0];
            var shiftHeldFor = -1;
            foreach (var e in experts)
            {
                LogSpace.WriteLogProbs(distributions[e], _expert);
                TensorPrimitives.Subtract(_expert, _small, _shift);
                // Target: KL(P_{m_i} ‖ P_m) = Σ p_i (log p_i − log p_m) = E_{p_i}[d].
                TensorPrimitives.Exp(_expert, _work);
                var target = TensorPrimitives.Dot(_work, _shift);
                Array.Fill(_kl, double.NaN);
                // first grid point whose KL reaches the target; the best point is it or the one before it
                int lo = 0, hi = grid.Length;
                while (lo < hi)
                {
                    var mid = (lo + hi) / 2;
                    if (Kl(mid) >= target) hi = mid;
                    else lo = mid + 1;
                }
                for (var g = Math.Max(0, lo - 1); g <= Math.Min(lo, grid.Length - 1); g++)
                {
                    var kl = Kl(g);
                    var objective = (kl - target) * (kl - target);
                    if (objective < bestObjective)
                    {
                        bestObjective = objective;
                        bestAlpha = grid[g];
                        bestExpert = e;
                        if (shiftHeldFor != e) { _shift.CopyTo(_bestShift); shiftHeldFor = e; }
                    }
                }
            }
            if (shiftHeldFor < 0) { _bestShift.AsSpan().Clear(); bestAlpha = 0; } // every objective NaN: fall back to M
            var output = Step.LogProbsBuffer;
            TensorPrimitives.MultiplyAdd(_bestShift, bestAlpha, _large, output);
            LogSpace.LogSoftmaxInPlace(output, _work);
            Step.WeightsBuffer[MainMember] = 1;
            Step.WeightsBuffer[bestExpert] = bestAlpha;
            Step.WeightsBuffer[baseMember] = -bestAlpha;
            Step.Alpha = bestAlpha;
            Step.ChosenMember = bestExpert;
            Step.Objective = (float)bestObjective;
            return Step;
        }

        // KL at grid point g, evaluated at most once per expert.
        private double Kl(int g) => double.IsNaN(_kl[g]) ? _kl[g] = ShiftedKl(grid[g]) : _kl[g];

        // KL(softmax(z_M + α d) ‖ P_M) with z_M = the main log-probs (lse(z_M) = 0).
        private double ShiftedKl(float alpha)
        {
            if (alpha == 0) return 0;
            TensorPrimitives.MultiplyAdd(_shift, alpha, _large, _work);
            var max = TensorPrimitives.Max(_work);
            TensorPrimitives.Subtract(_work, max, _work);
            TensorPrimitives.Exp(_work, _work);
            double sum = TensorPrimitives.Sum(_work);
            double expectation = TensorPrimitives.Dot(_work, _shift) / sum;
            return alpha * expectation - (max + Math.Log(sum));
        }
    }
}
