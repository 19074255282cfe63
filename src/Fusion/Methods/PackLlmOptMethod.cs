namespace Chorus.Fusion;

/// <summary>
/// <c>packllm-opt</c>: greedy weights. Members sorted by prompt loss; λ starts one-hot on the best; each next member j
/// gets μ from a grid of <c>grid</c> points on [0, 1] minimising the prompt loss of μ·z_current + (1−μ)·z_j; then
/// λ_i *= μ for the members already in and λ_j = 1 − μ. Fusion per step is the same logit mix as packllm-sim.
/// The reference vocabulary is chosen as for <see cref="PackLlmSimMethod"/> (<c>reference=best|main</c>), and the
/// prompt loss is measured on the reference member's tokenization of the prompt. The prompt loss is exact with
/// <c>support</c> ≥ |V| and leans toward one-hot λ below that (see <see cref="PromptMixtureLoss"/>).
/// </summary>
/// <remarks>
/// The default support, 8,192, makes the paper's objective exact for every vocabulary up to the zoo's. It costs
/// positions × |V| (id, log-prob) pairs per member at prefill (8 MiB for a 128-token prompt) and |support| work per
/// position and candidate λ. Above 8,192 tokens the rest of the vocabulary is one flat tail per member (Hölder's bound):
/// on seeded flat 32,768-token distributions λ then moved by up to 0.10 from the exact optimum (mean excess prompt loss
/// 7e-3 nats), as much as the old top-64 default did on 256 tokens (PackLlmOptObjectiveTests, docs/quality.md
/// "Faithful defaults"); pass <c>support</c> ≥ |V| for the exact objective at positions × |V| cost.
/// </remarks>
public sealed class PackLlmOptMethod(int topK, int gridPoints, int support, string reference = ReferenceVocabulary.Best)
    : FusionMethod(FusionMethods.PackLlmOpt, new MethodRequirements(topK, VocabularyAlignment.MinEditDistance, NeedsPromptEvidence: true, NeedsPromptDistributions: true, PromptPositionsTopK: support))
{
    /// <summary>Prompt-distribution support by default: the zoo's vocabulary size, so the objective is exact up to it.</summary>
    public const int DefaultSupport = 8192;

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        pack = ReferenceVocabulary.Choose(pack, reference);
        var loss = new PromptMixtureLoss(pack, support);
        return new LogitMixSession(pack, Requirements, Optimise(pack, loss, gridPoints));
    }

    /// <summary>The greedy search; exposed for tests through the session's prepared weights.</summary>
    internal static float[] Optimise(PreparedPack pack, PromptMixtureLoss loss, int gridPoints)
    {
        var order = new int[pack.Count];
        var losses = MemberPromptLoss.Of(pack); // the greedy order: per byte across vocabularies
        for (var k = 0; k < pack.Count; k++)
        {
            order[k] = k;
            var l = losses[k];
            losses[k] = double.IsNaN(l) ? double.PositiveInfinity : l;
        }
        Array.Sort(order, (a, b) => losses[a] != losses[b] ? losses[a].CompareTo(losses[b]) : a.CompareTo(b)); // ties: member order
        var lambda = new double[pack.Count];
        lambda[order[0]] = 1;
        var candidate = new double[pack.Count];
        for (var n = 1; n < order.Length; n++)
        {
            var j = order[n];
            var bestMu = 1.0;
            var bestLoss = loss.Evaluate(lambda);
            for (var g = 0; g < gridPoints; g++)
            {
                var mu = gridPoints == 1 ? 1.0 : (double)g / (gridPoints - 1);
                for (var k = 0; k < lambda.Length; k++) candidate[k] = mu * lambda[k];
                candidate[j] += 1 - mu;
                var value = loss.Evaluate(candidate);
                if (value < bestLoss - 1e-12) { bestLoss = value; bestMu = mu; }
            }
            for (var k = 0; k < lambda.Length; k++) lambda[k] *= bestMu;
            lambda[j] += 1 - bestMu;
        }
        var weights = new float[pack.Count];
        for (var k = 0; k < weights.Length; k++) weights[k] = (float)lambda[k];
        return weights;
    }
}
