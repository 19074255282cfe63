namespace Chorus.Fusion;

/// <summary>
/// Each member's prompt loss L_k on one scale, for choosing (top1-ppl) and weighting (packllm-*) members.
/// </summary>
/// <remarks>
/// Members that share the main vocabulary compare their mean token loss, as PackLLM does — same-vocabulary results
/// are unchanged. When vocabularies differ, a mean per token favours the finer tokenizer (more, easier tokens), so
/// each member's total NLL is divided by the UTF-8 bytes of the prompt its scored tokens cover; the result is
/// multiplied by the main member's bytes per scored token, which keeps the main member's L at its per-token value and
/// τ = 1 on the scale the paper tuned it for. Without the prompt text the bytes are unknown and per-token is kept.
/// </remarks>
internal static class MemberPromptLoss
{
    /// <summary>L_k per member; NaN where a member scored no token.</summary>
    public static double[] Of(PreparedPack pack)
    {
        var evidence = pack.Evidence!;
        var losses = new double[pack.Count];
        var perByte = pack.PromptText.Length > 0 && !SharesOneVocabulary(pack);
        var main = evidence[pack.MainIndex];
        var mainBytes = perByte ? main.ScoredBytes(pack.PromptText) : 0;
        var scale = main.ScoredCount > 0 && mainBytes > 0 ? (double)mainBytes / main.ScoredCount : double.NaN;
        for (var k = 0; k < pack.Count; k++)
        {
            if (!perByte || double.IsNaN(scale)) { losses[k] = evidence[k].Loss; continue; }
            var bytes = evidence[k].ScoredBytes(pack.PromptText);
            losses[k] = evidence[k].ScoredCount == 0 || bytes == 0 ? double.NaN : evidence[k].NegativeLogLikelihood / bytes * scale;
        }
        return losses;
    }

    private static bool SharesOneVocabulary(PreparedPack pack)
    {
        var hash = pack.Main.Vocabulary.ContentHash;
        foreach (var member in pack.Members) if (member.Vocabulary.ContentHash != hash) return false;
        return true;
    }
}
