namespace Chorus.Fusion;

/// <summary>
/// <c>deepen</c> (DeePEn): members' distributions meet in the relative space of shared anchor tokens.
/// Each step r_k = p_k · M_k, r̄ = Σ w_k r_k; then the main model's logits z are optimised for <c>steps</c> steps of
/// AdamW (lr 0.15, cosine decay to lr/4, PyTorch's β = (0.9, 0.999), ε = 1e-8; weight decay: see remarks) on
/// KL(r̄ ‖ softmax(z) · M_main); the fused distribution is the main one with the optimised logits. The step is
/// skipped (main's distribution as is) when the main model's top token ends generation.
/// </summary>
/// <remarks>
/// Deviation, for bounded memory and time: p_k is restricted to each member's top-<c>candidates</c> tokens
/// (renormalised), only those rows of M_k are computed (sparse, cached; see <see cref="RelativeSpace"/>), and only
/// the main model's top-<c>candidates</c> logits are optimised (softmax over them); the other main tokens keep their
/// log-probs. The reference multiplies full |V| distributions by dense |V| × |A| matrices. The optimisation runs in
/// double precision so that a zero gradient (one member) stays zero under Adam's normalisation.
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
            Sharpness: (float)p.GetDouble("sharpness", 100, 1e-3, 1e4),
            RowEntries: p.GetInt("row-entries", 32, 1, 4096),
            CacheRows: p.GetInt("cache-rows", 16384, 16, 1 << 22));
        if (topK > 0 && topK < options.Candidates)
            throw new FusionParameterException($"'deepen' reads each member's top-{options.Candidates} (candidates), so top-k must be 0 or at least that, got {topK}");
        return new DeepenMethod(topK, options);
    }

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var weights = UniformMethod.ResolveWeights(pack, _options.Weights, Name);
        var vocabularies = new IVocabulary[pack.Count];
        for (var k = 0; k < pack.Count; k++) vocabularies[k] = pack.Members[k].Vocabulary;
        var anchors = AnchorSet.Build(vocabularies);
        if (anchors.Count == 0)
            throw new FusionPackException("'deepen' found no token shared by all members' vocabularies to anchor the relative space");
        var spaces = new RelativeSpace[pack.Count];
        for (var k = 0; k < pack.Count; k++)
            spaces[k] = new RelativeSpace(pack.Members[k].Embeddings!, anchors.Ids(k), _options.Sharpness, _options.RowEntries, _options.CacheRows);
        return new DeepenSession(pack, Requirements, _options, weights, spaces);
    }
}

/// <summary>DeePEn's knobs (defaults: the reference's constants, candidates/row sparsity/cache are Chorus's bounds).</summary>
internal sealed record DeepenOptions(float[]? Weights, int Candidates, int Steps, double LearningRate, double WeightDecay, float Sharpness, int RowEntries, int CacheRows);
