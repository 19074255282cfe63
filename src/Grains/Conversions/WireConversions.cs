using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>Between the fusion library's shapes and the wire DTOs.</summary>
public static class WireConversions
{
    public static DistributionData ToData(this TokenDistribution d) => d.IsFull
        ? new DistributionData(d.VocabularySize, d.LogSumExp, d.Logits.ToArray(), null, null)
        : new DistributionData(d.VocabularySize, d.LogSumExp, null, d.TopTokens.ToArray(), d.TopLogProbs.ToArray());

    public static TokenDistribution ToDistribution(this DistributionData d) => d.Logits is not null
        ? TokenDistribution.FromLogits(d.Logits)
        : TokenDistribution.FromTopK(d.VocabularySize, d.TopTokens ?? [], d.TopLogProbs ?? [], d.LogSumExp);

    public static PromptEvidence ToEvidence(this PromptEvidenceData e) =>
        new(e.TokenIds, e.LogProbs, e.CharOffsets, e.Positions?.Select(p => p?.ToDistribution()).ToArray());

    public static DistributionRequest ToRequest(int topK) => topK > 0 ? DistributionRequest.Top(topK) : DistributionRequest.Full;
}
