namespace Chorus.Fusion;

/// <summary>
/// <c>packllm-sim</c>: λ = softmax(−L / τ) from each member's prompt loss, then z = Σ λ_k z_k every step.
/// Reference vocabulary (<see cref="ReferenceVocabulary"/>): <c>best</c> (default, the paper's) fuses in the
/// lowest-loss member's vocabulary, <c>main</c> in the main member's; the others are MinED-mapped onto it.
/// </summary>
public sealed class PackLlmSimMethod(int topK, double temperature, string reference = ReferenceVocabulary.Best)
    : FusionMethod(FusionMethods.PackLlmSim, new MethodRequirements(topK, VocabularyAlignment.MinEditDistance, NeedsPromptEvidence: true))
{
    /// <summary>The weights come from the pack as given (the main member's loss scale); only the fused vocabulary follows <c>reference</c>.</summary>
    protected override FusionSession CreateSession(PreparedPack pack) =>
        new LogitMixSession(ReferenceVocabulary.Choose(pack, reference), Requirements, Weights(pack, temperature));

    /// <summary>softmax(−L/τ); a member without scored prompt tokens (a one-token prompt) makes the weights uniform.</summary>
    internal static float[] Weights(PreparedPack pack, double temperature)
    {
        var weights = new float[pack.Count];
        var scores = new double[pack.Count];
        var max = double.NegativeInfinity;
        var losses = MemberPromptLoss.Of(pack); // per byte across vocabularies
        for (var k = 0; k < pack.Count; k++)
        {
            var loss = losses[k];
            if (double.IsNaN(loss)) { Array.Fill(weights, 1f / pack.Count); return weights; }
            scores[k] = -loss / temperature;
            max = Math.Max(max, scores[k]);
        }
        double sum = 0;
        for (var k = 0; k < pack.Count; k++) sum += scores[k] = Math.Exp(scores[k] - max);
        for (var k = 0; k < pack.Count; k++) weights[k] = (float)(scores[k] / sum);
        return weights;
    }
}
