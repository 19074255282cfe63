using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>Between the fusion library's shapes and the wire DTOs.</summary>
public static class WireConversions
{
    // Distributions and the wire data are immutable once built, so they share their arrays: in one silo a member's
    // logits reach the session without a copy (Orleans passes [Immutable] data by reference), and the log-sum-exp the
    // member computed is not computed again.
    public static DistributionData ToData(this TokenDistribution d)
    {
        var (logits, top, lps) = d.Arrays;
        return new DistributionData(d.VocabularySize, d.LogSumExp, logits, top, lps);
    }

    public static TokenDistribution ToDistribution(this DistributionData d) => d.Logits is not null
        ? float.IsFinite(d.LogSumExp) && d.Logits.Length == d.VocabularySize ? TokenDistribution.FromLogits(d.Logits, d.LogSumExp) : TokenDistribution.FromLogits(d.Logits)
        : TokenDistribution.FromTopK(d.VocabularySize, d.TopTokens ?? [], d.TopLogProbs ?? [], d.LogSumExp);

    public static PromptEvidence ToEvidence(this PromptEvidenceData e) =>
        new(e.TokenIds, e.LogProbs, e.CharOffsets, e.Positions?.Select(p => p?.ToDistribution()).ToArray());

    public static DistributionRequest ToRequest(int topK) => topK > 0 ? DistributionRequest.Top(topK) : DistributionRequest.Full;
}
