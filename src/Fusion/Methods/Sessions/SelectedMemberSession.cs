namespace Chorus.Fusion;

/// <summary>One member alone for the whole request (single, top1-ppl, largest, mixture), projected onto the main vocabulary.</summary>
internal sealed class SelectedMemberSession : FusionSession
{
    private readonly float[] _weights;
    private readonly float[] _scratch;

    public SelectedMemberSession(PreparedPack pack, MethodRequirements requirements, int chosen) : base(pack, requirements)
    {
        Chosen = chosen;
        _weights = new float[pack.Count];
        _weights[chosen] = 1;
        _scratch = new float[pack.MainVocabularySize];
    }

    /// <summary>The member used for the whole request.</summary>
    public int Chosen { get; }

    public override ReadOnlySpan<float> PreparedWeights => _weights;

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        Pack.Projection(Chosen).Write(distributions[Chosen], Step.LogProbsBuffer, _scratch);
        _weights.CopyTo(Step.WeightsBuffer);
        Step.ChosenMember = Chosen;
        Step.Ensembled = false;
        return Step;
    }
}
