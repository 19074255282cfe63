namespace Chorus.Fusion;

/// <summary><c>top1-ppl</c>: the member with the lowest prompt perplexity (mean token loss in its own tokenization; per byte when vocabularies differ, see <see cref="MemberPromptLoss"/>), alone.</summary>
public sealed class Top1PerplexityMethod(int topK) : FusionMethod(FusionMethods.Top1Perplexity, new MethodRequirements(topK, VocabularyAlignment.SingleMember, NeedsPromptEvidence: true))
{
    protected override FusionSession CreateSession(PreparedPack pack) => new SelectedMemberSession(pack, Requirements, Choose(pack));

    /// <summary>Lowest L_k; members with no scored prompt token are skipped; ties keep the lower index; main if none scored.</summary>
    internal static int Choose(PreparedPack pack)
    {
        var best = -1;
        var bestLoss = double.PositiveInfinity;
        var losses = MemberPromptLoss.Of(pack);
        for (var k = 0; k < pack.Count; k++)
        {
            var loss = losses[k];
            if (!double.IsNaN(loss) && loss < bestLoss) { bestLoss = loss; best = k; }
        }
        return best < 0 ? pack.MainIndex : best;
    }
}
