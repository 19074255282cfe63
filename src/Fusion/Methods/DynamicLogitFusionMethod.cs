namespace Chorus.Fusion;

/// <summary>
/// <c>dlf</c> (dynamic logit fusion, weak-to-strong): each step, per-expert strengths α_i on the grid 0, step, …, max
/// minimise the paper's joint objective Σ_i (KL(P̃ ‖ P_M) − KL(P_{m_i} ‖ P_m))² with
/// P̃ = softmax(z_M + Σ_i α_i (z_{m_i} − z_m)) (M the large base, m the small base, m_i the experts).
/// One expert: the grid argmin (ties keep the smaller α). Two experts: brute force over the grid product (exact).
/// Three or more: a local search (see the session's remarks). The step's member weights are +α_i for each expert,
/// −Σα_i for the small base and 1 for M; <see cref="FusedStep.Alpha"/> is Σα_i (the α itself with one expert) and
/// <see cref="FusedStep.ChosenMember"/> the expert with the largest α_i.
/// </summary>
/// <remarks>
/// Deviation from the paper's shortcut: for T &gt; 1 the paper applies one expert per step (each expert's best α
/// alone, lowest objective wins). Scored that way every reachable target gives an objective ≈ 0, so grid rounding
/// decided the expert (a tiny-shift expert beat a strongly shifting one in 171 of 200 synthetic trials); the joint
/// objective compares all experts against one fused distribution.
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
        return new DynamicLogitFusionSession(pack, Requirements, [.. experts], bases[0], grid);
    }
}
