namespace Chorus.Fusion;

/// <summary>
/// One request's fusion state. Call <see cref="Fuse"/> once per step with every member's distribution, in member
/// order. The returned <see cref="FusedStep"/> and its buffers are reused: read it before the next call.
/// After the first step a session does not allocate. Not thread-safe (steps of a request are sequential).
/// </summary>
public abstract class FusionSession
{
    protected FusionSession(PreparedPack pack, MethodRequirements requirements)
    {
        Pack = pack;
        Requirements = requirements;
        Step = new FusedStep(pack.MainVocabularySize, pack.Count);
    }

    public PreparedPack Pack { get; }

    public MethodRequirements Requirements { get; }

    /// <summary>Index of the main member.</summary>
    public int MainMember => Pack.MainIndex;

    /// <summary>The weights fixed at prepare (PackLLM's λ, uniform's 1/K, the chosen member's one-hot); empty when they vary per step.</summary>
    public virtual ReadOnlySpan<float> PreparedWeights => default;

    protected FusedStep Step { get; }

    /// <summary>Fuses one step's member distributions into one distribution over the main vocabulary.</summary>
    public FusedStep Fuse(IReadOnlyList<TokenDistribution> distributions)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        if (distributions.Count != Pack.Count)
            throw new ArgumentException($"got {distributions.Count} distributions for {Pack.Count} members; pass one per member, in member order");
        for (var i = 0; i < distributions.Count; i++)
        {
            var d = distributions[i] ?? throw new ArgumentException($"the distribution of member '{Pack.Members[i].Name}' is missing");
            if (d.VocabularySize != Pack.Members[i].Vocabulary.Count)
                throw new ArgumentException($"the distribution of '{Pack.Members[i].Name}' covers {d.VocabularySize} tokens, its vocabulary {Pack.Members[i].Vocabulary.Count}");
            if (Requirements.NeedsFullLogits && !d.IsFull)
                throw new ArgumentException($"method needs full logits but '{Pack.Members[i].Name}' sent top-{d.TopTokens.Length}; read MethodRequirements.TopK before stepping members");
        }
        Step.Reset();
        return FuseCore(distributions);
    }

    /// <summary>Tells the session which token was chosen after the last <see cref="Fuse"/> (online weights learn from it); most methods ignore it.</summary>
    public virtual void Observe(int token)
    {
    }

    /// <summary>The method's step; writes into <see cref="Step"/> (or returns an inner session's step).</summary>
    protected abstract FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions);
}
