using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// <c>proxy-tuning</c> (= DExperts): z = z_M + α (Σ_i z_expert_i − Σ_j z_anti_j − T·z_base), α = 1 by default.
/// With one <see cref="MemberRole.Base"/> member that is proxy-tuning's Σ_i (z_{m_i} − z_m); with anti-experts
/// paired one-to-one with experts it is DExperts. The large model M is the main member.
/// </summary>
public sealed class ProxyTuningMethod(int topK, double alpha) : FusionMethod(FusionMethods.ProxyTuning, new MethodRequirements(topK, VocabularyAlignment.SameVocabulary))
{
    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var experts = MembersWith(pack, MemberRole.Expert);
        var bases = MembersWith(pack, MemberRole.Base);
        var anti = MembersWith(pack, MemberRole.AntiExpert);
        if (experts.Count == 0)
            throw new FusionPackException($"'{Name}' needs at least one member with role 'expert' (a small tuned model)");
        if (!((bases.Count == 1 && anti.Count == 0) || (bases.Count == 0 && anti.Count == experts.Count)))
            throw new FusionPackException($"'{Name}' needs either one member with role 'base' (the small untuned model, proxy-tuning) or one 'anti-expert' per expert (DExperts); got {bases.Count} base and {anti.Count} anti-expert for {experts.Count} experts");
        var coefficients = new float[pack.Count];
        coefficients[pack.MainIndex] = 1;
        foreach (var e in experts) coefficients[e] += (float)alpha;
        foreach (var a in anti) coefficients[a] -= (float)alpha;
        foreach (var b in bases) coefficients[b] -= (float)alpha * experts.Count;
        return new Session(pack, Requirements, coefficients, (float)alpha);
    }

    private sealed class Session(PreparedPack pack, MethodRequirements requirements, float[] coefficients, float alpha) : FusionSession(pack, requirements)
    {
        private readonly float[] _view = new float[pack.MainVocabularySize];
        private readonly float[] _scratch = new float[pack.MainVocabularySize];

        public override ReadOnlySpan<float> PreparedWeights => coefficients;

        protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
        {
            var output = Step.LogProbsBuffer;
            output.Clear();
            for (var k = 0; k < distributions.Count; k++)
            {
                if (coefficients[k] == 0) continue;
                LogSpace.WriteLogProbs(distributions[k], _view);
                TensorPrimitives.MultiplyAdd(_view, coefficients[k], output, output);
            }
            LogSpace.LogSoftmaxInPlace(output, _scratch);
            coefficients.CopyTo(Step.WeightsBuffer);
            Step.Alpha = alpha;
            return Step;
        }
    }
}
