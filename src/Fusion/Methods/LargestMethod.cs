namespace Chorus.Fusion;

/// <summary><c>largest</c>: the member with most parameters, alone (ties keep the lower index).</summary>
public sealed class LargestMethod(int topK) : FusionMethod(FusionMethods.Largest, new MethodRequirements(topK, VocabularyAlignment.SingleMember))
{
    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var best = 0;
        for (var k = 1; k < pack.Count; k++)
            if (pack.Members[k].ParameterCount > pack.Members[best].ParameterCount) best = k;
        if (pack.Members[best].ParameterCount <= 0)
            throw new FusionPackException("'largest' needs each member's parameter count; none was given");
        return new SelectedMemberSession(pack, Requirements, best);
    }
}
