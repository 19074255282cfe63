namespace Chorus.Fusion;

/// <summary>
/// <c>online</c>: a probability mixture p = Σ w_k p_k whose weights follow the text — fixed share (Herbster &amp; Warmuth
/// 1998) over the members, updated after every token (prompt tokens first, then each chosen token), with switching
/// rate <c>switching-rate</c> (a). Members share one vocabulary, so a token is one symbol for all of them; across
/// vocabularies the same rule runs per byte as the weighting of method <c>byte</c>.
/// </summary>
/// <remarks>
/// Unlike PackLLM, which fixes λ once from the prompt, the posterior keeps moving: a member that explains the recent
/// text well gains weight within a few tokens of a domain change (a redistributes a share of the weight uniformly
/// after every token, so no member's weight falls below a/K and can always recover). <c>start=prompt</c> (default) runs
/// the rule over the prompt's tokens from uniform weights; <c>start=uniform</c> starts at 1/K after the prompt;
/// <c>start=packllm</c> at PackLLM-sim's prompt weights. <c>mix=logit</c> fuses as PackLLM does (a logit mixture) and
/// learns λ online from the fused loss (<see cref="OnlineLogitSession"/>); with <c>scale=online</c> it also learns Σλ,
/// which flattens the fusion on text no member knows: 5.5–5.7 % below packllm-sim on held-out mixed text, 1.6–2.2 %
/// above it in-domain (docs/quality.md), hence opt-in.
/// </remarks>
public sealed class OnlineMethod(int topK, double switchingRate, string start, string mix = OnlineMethod.Probability, double learningRate = OnlineMethod.DefaultLearningRate, bool onlineScale = false)
    : FusionMethod(FusionMethods.Online, new MethodRequirements(topK, VocabularyAlignment.SameVocabulary, NeedsPromptEvidence: true))
{
    public const string FromPrompt = "prompt";
    public const string FromUniform = "uniform";

    /// <summary><c>start=packllm</c>: PackLLM-sim's prompt weights softmax(−L/τ = 1) as the prior.</summary>
    public const string FromPackLlm = "packllm";

    /// <summary><c>mix=probability</c>: p = Σ w_k p_k with the Bayesian fixed-share posterior (<see cref="FixedShareWeights"/>).</summary>
    public const string Probability = "probability";

    /// <summary><c>mix=logit</c>: PackLLM's logit mixture with λ learned online (<see cref="OnlineLogitSession"/>).</summary>
    public const string Logit = "logit";

    /// <summary>Default η of <c>mix=logit</c>'s exponentiated-gradient step.</summary>
    public const double DefaultLearningRate = 0.1;

    /// <summary>Default switching rate per token (ALGORITHMS.md: 1e-3..1e-2).</summary>
    public const double DefaultSwitchingRate = 0.01;

    public double SwitchingRate { get; } = switchingRate;

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        // mix=logit learns from the fused distribution, which the prompt's evidence lacks: its prompt prior is PackLLM's λ
        var fromPackLlm = start == FromPackLlm || (start == FromPrompt && mix == Logit);
        var prior = fromPackLlm && pack.Evidence is not null
            ? Array.ConvertAll(PackLlmSimMethod.Weights(pack, 1.0), w => (double)w)
            : FixedShareWeights.Uniform(pack.Count);
        var weights = new FixedShareWeights(prior, mix == Logit ? 0 : SwitchingRate);
        if (start == FromPrompt && mix == Probability && pack.Evidence is { } evidence) ObservePrompt(weights, evidence);
        return mix == Logit
            ? new OnlineLogitSession(pack, Requirements, weights.Weights, learningRate, SwitchingRate, onlineScale)
            : new OnlineSession(pack, Requirements, weights);
    }

    // Same vocabulary: every member tokenized the prompt alike, so position t is one symbol for all.
    private static void ObservePrompt(FixedShareWeights weights, IReadOnlyList<PromptEvidence> evidence)
    {
        var n = evidence[0].TokenIds.Count;
        foreach (var e in evidence) if (e.TokenIds.Count != n) return; // not aligned: start uniform
        var lps = new double[evidence.Count];
        for (var t = 0; t < n; t++)
        {
            var scored = true;
            for (var k = 0; k < evidence.Count; k++)
            {
                lps[k] = evidence[k].LogProbs[t];
                scored &= !double.IsNaN(lps[k]);
            }
            if (scored) weights.Update(lps);
        }
    }
}
