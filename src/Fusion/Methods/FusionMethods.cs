namespace Chorus.Fusion;

/// <summary>
/// The method registry: names are the API. <see cref="Create"/> parses a method's string parameters into a typed,
/// immutable <see cref="FusionMethod"/>, with errors that name the problem and the fix.
/// </summary>
/// <remarks>
/// Every method takes <c>top-k</c>: how many tokens each member sends per step (0 = full logits). The defaults are the
/// exact formulas on full logits, with two bounded exceptions that say so and by how much: packllm-opt's prompt
/// objective is exact for vocabularies up to its <c>support</c> (8,192, the zoo's; a top-8,192 tail beyond, see
/// <see cref="PackLlmOptMethod"/>), and deepen's candidate set holds each member's top tokens up to 1 − 10⁻⁶ of the
/// mass, at most 64 (see <see cref="DeepenMethod"/>). <c>top-k=N</c> is an opt-in approximation that saves bandwidth across machines:
/// each member's unsent tail gets a flat share of its tail mass (exact-vs-top-k figures in bench/results/fusion.md;
/// on the trained zoo top-256 cost ensembles 16–21 % perplexity on single-domain text, docs/quality.md).
/// </remarks>
public static class FusionMethods
{
    public const string Single = "single";
    public const string Uniform = "uniform";
    public const string Top1Perplexity = "top1-ppl";
    public const string Largest = "largest";
    public const string PackLlmSim = "packllm-sim";
    public const string PackLlmOpt = "packllm-opt";
    public const string ProxyTuning = "proxy-tuning";
    public const string DynamicLogitFusion = "dlf";
    public const string Unite = "unite";
    public const string Deepen = "deepen";
    public const string Mixture = "mixture";
    public const string Gated = "gated";
    public const string Online = "online";
    public const string Byte = "byte";

    /// <summary>Default members' top-k for the ensembles: 0 = full logits (exact); top-k is opt-in per request.</summary>
    public const int EnsembleTopK = 0;

    private const int MaxTopK = 1 << 20;

    /// <summary>Every known method name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Single, Uniform, Top1Perplexity, Largest, PackLlmSim, PackLlmOpt, ProxyTuning, DynamicLogitFusion, Unite, Deepen, Mixture, Gated, Online, Byte];

    /// <summary>A method by name with its parameters (keys and values as strings; null for defaults).</summary>
    public static FusionMethod Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var key = (name ?? "").Trim().ToLowerInvariant();
        var p = new MethodParameters(key, parameters);
        FusionMethod method = key switch
        {
            Single => new SingleMethod(TopK(p, 0)),
            Uniform => new UniformMethod(TopK(p, EnsembleTopK), p.GetWeights("weights")),
            Top1Perplexity => new Top1PerplexityMethod(TopK(p, 0)),
            Largest => new LargestMethod(TopK(p, 0)),
            PackLlmSim => new PackLlmSimMethod(TopK(p, EnsembleTopK), Positive(p, "temperature", 1.0), Reference(p)),
            PackLlmOpt => new PackLlmOptMethod(TopK(p, EnsembleTopK), p.GetInt("grid", 21, 2, 1001), p.GetInt("support", PackLlmOptMethod.DefaultSupport, 1, MaxTopK), Reference(p)),
            ProxyTuning => new ProxyTuningMethod(TopK(p, 0), p.GetDouble("alpha", 1.0, -100, 100)),
            DynamicLogitFusion => CreateDlf(p),
            Unite => new UniteMethod(TopK(p, 0), p.GetInt("union-k", 10, 1, 1024), p.GetDouble("floor", 0, 0, 0.5)),
            Deepen => DeepenMethod.Create(p, TopK(p, 0)),
            Mixture => new MixtureMethod(TopK(p, 0), p.GetChoice("router", MixtureMethod.Auto, MixtureMethod.Auto, MixtureMethod.Perplexity, MixtureMethod.Similarity)),
            Gated => GatedMethod.Create(p, parameters),
            Online => new OnlineMethod(TopK(p, EnsembleTopK), p.GetDouble("switching-rate", OnlineMethod.DefaultSwitchingRate, 0, 0.999),
                p.GetChoice("start", OnlineMethod.FromPrompt, OnlineMethod.FromPrompt, OnlineMethod.FromUniform, OnlineMethod.FromPackLlm),
                p.GetChoice("mix", OnlineMethod.Probability, OnlineMethod.Probability, OnlineMethod.Logit),
                p.GetDouble("learning-rate", OnlineMethod.DefaultLearningRate, 0, 100),
                p.GetChoice("scale", "fixed", "fixed", "online") == "online"),
            Byte => ByteMethod.Create(p),
            _ => throw new FusionParameterException($"unknown fusion method '{name}' (known: {string.Join(", ", Names)})"),
        };
        p.EnsureAllUsed();
        return method;
    }

    // PackLLM's reference vocabulary: the lowest-loss member's (the paper's default) or the main member's
    private static string Reference(MethodParameters p) => p.GetChoice("reference", ReferenceVocabulary.Best, ReferenceVocabulary.Best, ReferenceVocabulary.Main);

    private static DynamicLogitFusionMethod CreateDlf(MethodParameters p)
    {
        var max = p.GetDouble("alpha-max", 2.0, 0, 100);
        var step = p.GetDouble("alpha-step", 0.1, 0, 100);
        if (step == 0 && max > 0)
            throw new FusionParameterException("parameter 'alpha-step' of 'dlf' must be > 0 when 'alpha-max' is > 0 (paper: 0.1)");
        return new DynamicLogitFusionMethod(TopK(p, 0), max, step);
    }

    private static int TopK(MethodParameters p, int defaultValue) => p.GetInt("top-k", defaultValue, 0, MaxTopK);

    private static double Positive(MethodParameters p, string key, double defaultValue)
    {
        var v = p.GetDouble(key, defaultValue, double.MinValue, double.MaxValue);
        if (v <= 0) throw new FusionParameterException($"parameter '{key}' must be > 0, got {v}; use a small positive value for a sharper choice");
        return v;
    }
}
