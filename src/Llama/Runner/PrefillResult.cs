using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>What prefilling a prompt yields: log p(token_i | tokens_&lt;i) for every prompt token and the next-token distribution.</summary>
/// <param name="TokenLogProbs">One per prompt token; entry 0 is NaN when the sequence was empty (nothing to condition on).</param>
/// <param name="Next">Distribution of the token after the prompt.</param>
public sealed record PrefillResult(float[] TokenLogProbs, TokenDistribution Next)
{
    /// <summary>The top-k distribution that predicted each prompt token (entry i predicts token i), when asked for.</summary>
    public TokenDistribution?[]? Positions { get; init; }
}
