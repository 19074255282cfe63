namespace Chorus.Fusion;

/// <summary><c>single</c>: the main member alone (baseline).</summary>
public sealed class SingleMethod(int topK) : FusionMethod(FusionMethods.Single, new MethodRequirements(topK, VocabularyAlignment.SingleMember))
{
    protected override FusionSession CreateSession(PreparedPack pack) => new SelectedMemberSession(pack, Requirements, pack.MainIndex);
}
