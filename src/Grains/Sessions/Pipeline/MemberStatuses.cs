using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>A member as the client sees it once the prompt is read: its role, silo, prompt tokens and prompt perplexity.</summary>
internal static class MemberStatuses
{
    public static MemberStatus Of(RunMember m, bool showTokens = false)
    {
        var lps = m.Evidence?.LogProbs ?? [];
        var scored = lps.Where(lp => !float.IsNaN(lp)).ToArray();
        var ppl = scored.Length > 0 ? Math.Exp(-scored.Average()) : double.NaN;
        return new MemberStatus(m.Name, m.Plan.Role.ToString().ToLowerInvariant(), m.Facts.Silo, m.Evidence?.TokenIds.Length ?? 0, ppl)
        {
            PromptTokenIds = showTokens ? m.Evidence?.TokenIds : null,
        };
    }
}
