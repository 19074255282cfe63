namespace Chorus.Fusion;

/// <summary>
/// <c>gated</c> (GaC's gate): when the main member's top probability is at least <c>threshold</c>, take the main
/// member's distribution as is; otherwise fuse with the <c>inner</c> method (default uniform). Parameters other than
/// <c>inner</c> and <c>threshold</c> go to the inner method. The threshold default 0.5 is a paper value, not code.
/// </summary>
public sealed class GatedMethod : FusionMethod
{
    private readonly FusionMethod _inner;
    private readonly double _threshold;

    public GatedMethod(FusionMethod inner, double threshold)
        : base(FusionMethods.Gated, (inner ?? throw new ArgumentNullException(nameof(inner))).Requirements)
    {
        _inner = inner;
        _threshold = threshold;
    }

    /// <summary>The method used on uncertain steps.</summary>
    public FusionMethod Inner => _inner;

    internal static GatedMethod Create(MethodParameters p, IReadOnlyDictionary<string, string>? all)
    {
        var innerName = p.GetString("inner") ?? FusionMethods.Uniform;
        if (string.Equals(innerName.Trim(), FusionMethods.Gated, StringComparison.OrdinalIgnoreCase))
            throw new FusionParameterException("'gated' cannot gate itself; choose another inner method (e.g. inner=uniform)");
        var threshold = p.GetDouble("threshold", 0.5, 0, 1);
        var forwarded = new Dictionary<string, string>();
        foreach (var key in p.Keys)
        {
            if (key is "inner" or "threshold") continue;
            forwarded[key] = all![key];
            p.Accept(key);
        }
        return new GatedMethod(FusionMethods.Create(innerName, forwarded), threshold);
    }

    protected override FusionSession CreateSession(PreparedPack pack) => new Session(pack, Requirements, _inner.Prepare(ToRequest(pack)), (float)_threshold);

    private static FusionRequest ToRequest(PreparedPack pack) => new()
    {
        Members = pack.Members,
        Evidence = pack.Evidence,
        PromptText = pack.PromptText,
        Maps = pack.Maps,
    };

    private sealed class Session(PreparedPack pack, MethodRequirements requirements, FusionSession inner, float threshold) : FusionSession(pack, requirements)
    {
        private readonly float[] _scratch = new float[pack.MainVocabularySize];

        protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
        {
            var main = distributions[MainMember];
            if (LogSpace.TopProbability(main) < threshold) return inner.Fuse(distributions);
            LogSpace.WriteLogProbs(main, Step.LogProbsBuffer);
            if (!main.IsFull) LogSpace.LogSoftmaxInPlace(Step.LogProbsBuffer, _scratch); // a top-k flat tail is not exactly normalised
            Step.WeightsBuffer[MainMember] = 1;
            Step.ChosenMember = MainMember;
            Step.Ensembled = false;
            return Step;
        }

        // a stateful inner method (online) learns from the chosen token; on a step the gate took the main member's
        // distribution the inner method fused nothing and has nothing to learn from (OnlineSession ignores it then)
        public override void Observe(int token) => inner.Observe(token);
    }
}
