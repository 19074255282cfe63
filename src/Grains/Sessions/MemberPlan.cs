using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>A member of a request before it is opened: which model, in which role.</summary>
public sealed record MemberPlan(string Model, MemberRole Role, IReadOnlyList<string> Descriptions);

/// <summary>Resolves a pack name or a model list into members with roles, and the method to use.</summary>
public static class MemberPlanner
{
    public static (List<MemberPlan> Members, string Method, Dictionary<string, string> Parameters) Plan(
        MemberSelection selection, string? method, IReadOnlyDictionary<string, string>? parameters, ChorusOptions options)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var merged = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<MemberPlan> members;
        if (!string.IsNullOrWhiteSpace(selection.Pack))
        {
            if (selection.Models is { Length: > 0 })
                throw new ChorusException(ChorusErrorKind.InvalidArgument, "give either a pack or models, not both");
            var pack = options.Packs.FirstOrDefault(p => string.Equals(p.Name, selection.Pack, StringComparison.OrdinalIgnoreCase))
                ?? throw new ChorusException(ChorusErrorKind.NotFound,
                    $"unknown pack '{selection.Pack}' (configured: {string.Join(", ", options.Packs.Select(p => p.Name))})");
            method = string.IsNullOrWhiteSpace(method) ? pack.Method : method;
            foreach (var (k, v) in pack.Parameters) merged[k] = v;
            var byPosition = ByPosition(pack.Members.Count, method);
            members = pack.Members.Select((m, i) => new MemberPlan(m.Model, ParseRole(m.Role) ?? byPosition[i], m.Descriptions)).ToList();
        }
        else
        {
            if (selection.Models is not { Length: > 0 })
                throw new ChorusException(ChorusErrorKind.InvalidArgument, "no members: name a pack or at least one model");
            method = string.IsNullOrWhiteSpace(method) ? (selection.Models.Length == 1 ? FusionMethods.Single : FusionMethods.Uniform) : method;
            var byPosition = ByPosition(selection.Models.Length, method);
            members = selection.Models.Select((m, i) => new MemberPlan(m, byPosition[i], Descriptions(options, m))).ToList();
        }
        if (parameters is not null)
            foreach (var (k, v) in parameters) merged[k] = v;
        return (members, method!.Trim().ToLowerInvariant(), merged);
    }

    /// <summary>
    /// Roles by position. Weak-to-strong methods (proxy-tuning, dlf): the large base model first (main), then the
    /// expert(s), then the small base (anti-expert side) last. Every other method: the first member is main.
    /// </summary>
    /// <summary>The index of the main member (the one whose vocabulary the fused token is chosen in): its role, else the first.</summary>
    public static int MainIndex(IReadOnlyList<MemberPlan> plans)
    {
        for (var i = 0; i < plans.Count; i++)
            if (plans[i].Role == MemberRole.Main) return i;
        return 0;
    }

    public static MemberRole[] ByPosition(int count, string? method)
    {
        var roles = new MemberRole[count];
        var weakToStrong = method is FusionMethods.ProxyTuning or FusionMethods.DynamicLogitFusion;
        for (var i = 0; i < count; i++)
            roles[i] = i == 0 ? MemberRole.Main : weakToStrong && i == count - 1 && count >= 3 ? MemberRole.Base : MemberRole.Expert;
        return roles;
    }

    private static MemberRole? ParseRole(string? role) => role?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "main" => MemberRole.Main,
        "base" => MemberRole.Base,
        "expert" => MemberRole.Expert,
        "anti-expert" or "antiexpert" => MemberRole.AntiExpert,
        _ => throw new ChorusException(ChorusErrorKind.InvalidArgument, $"unknown member role '{role}' (main, base, expert, anti-expert)"),
    };

    private static List<string> Descriptions(ChorusOptions options, string model) =>
        options.Models.FirstOrDefault(m => m.Id == model)?.Descriptions ?? [];
}
