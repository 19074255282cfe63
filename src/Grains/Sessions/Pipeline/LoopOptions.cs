using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>What the <see cref="GenerationLoop"/> reads of a request: stop strings and what to show per unit.</summary>
internal sealed record LoopOptions(string[] Stop, bool ShowWeights, bool ShowMemberTokens, int TopLogProbs)
{
    public static LoopOptions From(GenerationRequest request) =>
        new(request.Stop ?? [], request.ShowWeights, request.ShowMemberTokens, request.TopLogProbs);

    /// <summary>Teacher forcing: no stops, nothing shown (a scorer reads the fused steps itself).</summary>
    public static LoopOptions Scoring { get; } = new([], false, false, -1);
}
