namespace Chorus.Fusion;

/// <summary>
/// <c>deepen</c> (DeePEn): members' distributions meet in the relative space of shared anchor tokens.
/// Each step r_k = p_k · M_k, r̄ = Σ w_k r_k; then the main model's logits z are optimised for <c>steps</c> steps of
/// AdamW (lr 0.15, cosine decay to lr/4, PyTorch's β = (0.9, 0.999), ε = 1e-8, weight decay 0.01) on PyTorch's
/// <c>KLDivLoss</c> with its default mean reduction, KL(r̄ ‖ softmax(z) · M_main) / |A|; the fused distribution is the
/// main one with the optimised logits. The step is skipped (main's distribution as is) when the main model's top token
/// ends generation.
/// </summary>
/// <remarks>
/// Relative rows are the reference's (cosines, row L2-normalised, ×100, softmax; dense over all anchors) — see
/// <see cref="RelativeSpace"/>. The anchor set and each member's relative space are built once per set of members
/// and shared across requests (<see cref="RelativeSpaceCache"/>). The learning rate follows PyTorch's
/// CosineAnnealingLR with the reference's T_max = 10 (not <c>steps</c>) and η_min = lr/4: with the default 5 steps it
/// only decays to about (lr + lr/4)/2.
/// <para>The mean reduction matters under Adam: a gradient far below ε = 1e-8 gives a step far below lr, so with |A|
/// anchors a low-probability candidate barely moves where a summed KL would move it by about lr per step. AdamW's decay
/// scales every logit of the full vocabulary by (1 − lr·0.01) per step, a slight temperature rise that keeps the
/// order of tokens (one member still reproduces its own greedy choice).</para>
/// <para>Bounded deviation: the reference multiplies full |V| distributions by dense |V| × |A| matrices and optimises
/// every logit. Here each member contributes its top tokens up to 1 − <c>candidate-tail</c> (default 10⁻⁶) of its
/// mass, at most <c>candidates</c> (default 64) and at most 32 MiB of main rows per session (renormalised), and only
/// the main model's candidates are optimised; the other main tokens get only the decay, as they would in the reference
/// to within their gradients (each below their probability / |A|). <c>candidate-tail=0</c> with <c>candidates</c> ≥ |V|
/// is the reference's full computation; the measured difference is in DeepenReferenceTests and docs/quality.md. Rows are stored
/// in f16 (error measured against f32 in the tests and bench/README.md). The optimisation runs in double precision so
/// that a zero gradient (one member) stays zero under Adam's normalisation.</para>
/// </remarks>
public sealed class DeepenMethod : FusionMethod
{
    /// <summary>Most candidate tokens per member by default: a cost bound (the reference reads all |V|). 512 made a
    /// zoo step about 50 times the old top-10's work, and a heterogeneous eval window overran the 5-minute request
    /// deadline on the loaded 2-core machine.</summary>
    public const int DefaultCandidates = 64;

    /// <summary>Probability mass a member's candidate set may leave out by default.</summary>
    public const double DefaultCandidateTail = 1e-6;

    private readonly DeepenOptions _options;

    private DeepenMethod(int topK, DeepenOptions options)
        : base(FusionMethods.Deepen, new MethodRequirements(topK, VocabularyAlignment.RelativeSpace, NeedsEmbeddings: true)) => _options = options;

    internal static DeepenMethod Create(MethodParameters p, int topK)
    {
        var options = new DeepenOptions(
            Weights: p.GetWeights("weights"),
            Candidates: p.GetInt("candidates", DefaultCandidates, 1, 1 << 20),
            CandidateTail: p.GetDouble("candidate-tail", DefaultCandidateTail, 0, 0.5),
            Steps: p.GetInt("steps", 5, 0, 100),
            LearningRate: p.GetDouble("learning-rate", 0.15, 0, 100),
            WeightDecay: p.GetDouble("weight-decay", 0.01, 0, 1),
            Sharpness: (float)p.GetDouble("sharpness", 100, 1e-3, 1e4));
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

/// <summary>DeePEn's knobs (defaults: the reference's constants; candidates and candidate-tail are Chorus's bounds).</summary>
internal sealed record DeepenOptions(float[]? Weights, int Candidates, double CandidateTail, int Steps, double LearningRate, double WeightDecay, float Sharpness);
