namespace Chorus.Fusion;

/// <summary>
/// <c>deepen</c> (DeePEn): members' distributions meet in the relative space of shared anchor tokens.
/// Each step r_k = p_k · M_k, r̄ = Σ w_k r_k; then the main model's logits z are optimised for <c>steps</c> steps of
/// AdamW (lr 0.15, cosine decay to lr/4, PyTorch's β = (0.9, 0.999), ε = 1e-8; weight decay: see remarks) on
/// KL(r̄ ‖ softmax(z) · M_main); the fused distribution is the main one with the optimised logits. The step is
/// skipped (main's distribution as is) when the main model's top token ends generation.
/// </summary>
/// <remarks>
/// Relative rows are the reference's (cosines, row L2-normalised, ×100, softmax; dense over all anchors) — see
/// <see cref="RelativeSpace"/>. The anchor set and each member's relative space are built once per set of members
/// and shared across requests (<see cref="RelativeSpaceCache"/>). The learning rate follows PyTorch's
/// CosineAnnealingLR with the reference's T_max = 10 (not <c>steps</c>) and η_min = lr/4: with the default 5 steps it
/// only decays to about (lr + lr/4)/2.
/// Deviation, for bounded time: p_k is restricted to each member's top-<c>candidates</c> tokens (renormalised), so
/// only those rows of M_k are computed, and only the main model's top-<c>candidates</c> logits are optimised (softmax
/// over them); the other main tokens keep their log-probs. The reference multiplies full |V| distributions by dense
/// |V| × |A| matrices. Rows are stored in f16 (error measured against f32 in the tests and bench/README.md). The
/// optimisation runs in double precision so that a zero gradient (one member) stays zero under Adam's normalisation.
/// Weight decay defaults to 0, not PyTorch's 0.01: decay flattens softmax(z), and Adam's normalised steps (about lr
/// whatever the gradient's size) then reshuffle near-tied tokens even when every member agrees — one member would
/// not reproduce its own greedy choice. <c>weight-decay=0.01</c> restores the reference behaviour.
/// </remarks>
public sealed class DeepenMethod : FusionMethod
{
    private readonly DeepenOptions _options;

    private DeepenMethod(int topK, DeepenOptions options)
        : base(FusionMethods.Deepen, new MethodRequirements(topK, VocabularyAlignment.RelativeSpace, NeedsEmbeddings: true)) => _options = options;

    internal static DeepenMethod Create(MethodParameters p, int topK)
    {
        var options = new DeepenOptions(
            Weights: p.GetWeights("weights"),
            Candidates: p.GetInt("candidates", 10, 1, 4096),
            Steps: p.GetInt("steps", 5, 0, 100),
            LearningRate: p.GetDouble("learning-rate", 0.15, 0, 100),
            WeightDecay: p.GetDouble("weight-decay", 0, 0, 1),
            Sharpness: (float)p.GetDouble("sharpness", 100, 1e-3, 1e4));
        if (topK > 0 && topK < options.Candidates)
            throw new FusionParameterException($"'deepen' reads each member's top-{options.Candidates} (candidates), so top-k must be 0 or at least that, got {topK}");
        return new DeepenMethod(topK, options);
    }

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var weights = UniformMethod.ResolveWeights(pack, _options.Weights, Name);
        var vocabularies = new IVocabulary[pack.Count];
        for (var k = 0; k < pack.Count; k++) vocabularies[k] = pack.Members[k].Vocabulary;
        var cache = RelativeSpaceCache.Shared;
        var anchors = cache.Anchors(vocabularies);
        if (anchors.Count == 0)
            throw new FusionPackException("'deepen' found no token shared by all members' vocabularies to anchor the relative space");
        var spaces = new RelativeSpace[pack.Count];
        for (var k = 0; k < pack.Count; k++)
            spaces[k] = cache.Space(pack.Members[k].Embeddings!, anchors, k, _options.Sharpness);
        return new DeepenSession(pack, Requirements, _options, weights, spaces);
    }
}

/// <summary>DeePEn's knobs (defaults: the reference's constants; candidates is Chorus's bound).</summary>
internal sealed record DeepenOptions(float[]? Weights, int Candidates, int Steps, double LearningRate, double WeightDecay, float Sharpness);
