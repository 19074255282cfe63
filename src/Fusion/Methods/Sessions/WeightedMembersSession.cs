namespace Chorus.Fusion;

/// <summary>
/// A session that combines every member with a weight fixed at prepare (uniform's 1/K, PackLLM's λ): the weights,
/// the per-member view over the main vocabulary and its scratch buffer. Subclasses say how members combine.
/// </summary>
internal abstract class WeightedMembersSession : FusionSession
{
    protected WeightedMembersSession(PreparedPack pack, MethodRequirements requirements, float[] weights) : base(pack, requirements)
    {
        Weights = weights;
        View = new float[pack.MainVocabularySize];
        Scratch = new float[pack.MainVocabularySize];
    }

    public override ReadOnlySpan<float> PreparedWeights => Weights;

    protected float[] Weights { get; }

    /// <summary>One member's log-probs projected onto the main vocabulary.</summary>
    protected float[] View { get; }

    protected float[] Scratch { get; }
}
