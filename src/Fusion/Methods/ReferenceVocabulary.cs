namespace Chorus.Fusion;

/// <summary>
/// Which member's vocabulary PackLLM fuses in (parameter <c>reference</c> of packllm-sim and packllm-opt).
/// <c>best</c> (default, the paper's): the member with the lowest prompt loss, as the reference code's
/// <c>select_tokenizer</c> picks its output tokenizer; every other member is MinED-mapped onto that vocabulary and
/// the fused tokens are that member's. <c>main</c>: the main member's vocabulary, always.
/// </summary>
/// <remarks>
/// The loss that picks the reference is the one that weights the members (<see cref="MemberPromptLoss"/>: per byte
/// across vocabularies), so the reference is always a member with the largest packllm-sim weight. The reference code
/// compares mean per-token losses even across tokenizers, which favours the finer tokenizer; that is the deviation
/// <see cref="MemberPromptLoss"/> already documents. Ties keep the main member, then member order.
/// </remarks>
public static class ReferenceVocabulary
{
    public const string Best = "best";
    public const string Main = "main";

    /// <summary>The pack to fuse in: the same pack for <c>main</c>, or re-aligned onto the lowest-loss member's vocabulary.</summary>
    internal static PreparedPack Choose(PreparedPack pack, string reference)
    {
        if (reference != Best || pack.Count == 1) return pack;
        var best = Lowest(MemberPromptLoss.Of(pack), pack.MainIndex);
        return best == pack.MainIndex || pack.SharesMainVocabulary(best) ? pack : pack.WithReference(best);
    }

    /// <summary>Index of the smallest loss (NaN never wins; all NaN or a tie with the main member keeps the main member).</summary>
    internal static int Lowest(IReadOnlyList<double> losses, int main)
    {
        var best = main;
        for (var k = 0; k < losses.Count; k++)
        {
            if (double.IsNaN(losses[k])) continue;
            if (double.IsNaN(losses[best]) || losses[k] < losses[best]) best = k;
        }
        return best;
    }
}
