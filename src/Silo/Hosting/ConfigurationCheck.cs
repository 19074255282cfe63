using Chorus.Grains;

namespace Chorus.Silo;

/// <summary>Fails start-up with every configuration problem listed, before anything listens.</summary>
internal static class ConfigurationCheck
{
    public static void ThrowIfInvalid(ChorusOptions o)
    {
        var problems = new List<string>();
        foreach (var m in o.Models)
        {
            if (string.IsNullOrWhiteSpace(m.Id)) problems.Add($"a model has no Id (path '{m.Path}')");
            if (m.Id.Contains('/') || m.Id.Contains(',') || m.Id.Contains('*')) problems.Add($"model id '{m.Id}' may not contain '/', ',' or '*'");
            if (!File.Exists(m.Path)) problems.Add($"model '{m.Id}': file '{m.Path}' not found");
            if (m.MaxSequences < 1) problems.Add($"model '{m.Id}': MaxSequences must be ≥ 1");
            if (m.Replicas < 1) problems.Add($"model '{m.Id}': Replicas must be ≥ 1");
            if (m.ContextSize is > 0 and < 16 or < 0) problems.Add($"model '{m.Id}': ContextSize {m.ContextSize} is too small (0 = the trained context, else at least 16)");
        }
        foreach (var dup in o.Models.GroupBy(m => m.Id).Where(g => g.Count() > 1)) problems.Add($"model id '{dup.Key}' is configured {dup.Count()} times");
        foreach (var p in o.Packs)
        {
            if (string.IsNullOrWhiteSpace(p.Name)) problems.Add("a pack has no Name");
            if (p.Members.Count == 0) problems.Add($"pack '{p.Name}' has no members");
        }
        if (problems.Count > 0)
            throw new InvalidOperationException($"invalid Chorus configuration:\n  - {string.Join("\n  - ", problems)}");
    }
}
