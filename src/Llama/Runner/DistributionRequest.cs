namespace Chorus.Llama;

/// <summary>What a caller wants back for a next-token distribution: full logits, or the top-k plus the log-sum-exp.</summary>
public readonly record struct DistributionRequest(int TopK)
{
    /// <summary>Full logits over the whole vocabulary.</summary>
    public static DistributionRequest Full => new(0);

    /// <summary>The k most probable tokens with exact log-probs and the full log-sum-exp.</summary>
    public static DistributionRequest Top(int k) => k > 0 ? new(k) : throw new ArgumentOutOfRangeException(nameof(k), k, "top-k needs k ≥ 1");

    public bool IsFull => TopK <= 0;
}
