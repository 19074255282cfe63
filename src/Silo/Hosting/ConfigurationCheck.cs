using Chorus.Grains;

namespace Chorus.Silo;

/// <summary>Fails start-up with every configuration problem listed, before anything listens.</summary>
internal static class ConfigurationCheck
{
    public static void ThrowIfInvalid(ChorusOptions o, ApiKeySet apiKeys)
    {
        var problems = new List<string>();
        foreach (var m in o.Models)
        {
            if (string.IsNullOrWhiteSpace(m.Id)) problems.Add($"a model has no Id (path '{m.Path}')");
            if (m.Id.Contains('/') || m.Id.Contains(',') || m.Id.Contains('*')) problems.Add($"model id '{m.Id}' may not contain '/', ',' or '*'");
            if (!File.Exists(m.Path)) problems.Add($"model '{m.Id}': file '{m.Path}' not found");
            if (m.MaxSequences < 1) problems.Add($"model '{m.Id}': MaxSequences must be ≥ 1");
            if (m.Replicas < 1) problems.Add($"model '{m.Id}': Replicas must be ≥ 1");
            if (m.PrefillStretch is < 0 or (> 0 and < 1) || double.IsNaN(m.PrefillStretch))
                problems.Add($"model '{m.Id}': PrefillStretch {m.PrefillStretch} must be 0 (no chunked prefill) or ≥ 1 (a step with prefill takes at most that many decode steps' time)");
            if (m.GatherSteps is < 0 or > 10 || double.IsNaN(m.GatherSteps))
                problems.Add($"model '{m.Id}': GatherSteps {m.GatherSteps} must be between 0 (no gathering) and 10 steps' time");
            if (m.PrefixCacheMinimumTokens < 1) problems.Add($"model '{m.Id}': PrefixCacheMinimumTokens must be ≥ 1 (turn the cache off with PrefixCache=false)");
            if (m.ContextSize is > 0 and < 16 or < 0) problems.Add($"model '{m.Id}': ContextSize {m.ContextSize} is too small (0 = the trained context, else at least 16)");
        }
        foreach (var dup in o.Models.GroupBy(m => m.Id).Where(g => g.Count() > 1)) problems.Add($"model id '{dup.Key}' is configured {dup.Count()} times");
        foreach (var p in o.Packs)
        {
            if (string.IsNullOrWhiteSpace(p.Name)) problems.Add("a pack has no Name");
            if (p.Members.Count == 0) problems.Add($"pack '{p.Name}' has no members");
        }
        if (o.Cluster.HttpPort > 0 && (o.Cluster.HttpPort == o.Cluster.GrpcPort || o.Cluster.HttpPort == o.Cluster.MetricsPort))
            problems.Add($"Chorus:Cluster:HttpPort {o.Cluster.HttpPort} is also the gRPC or metrics port: give the OpenAI-compatible API a port of its own");
        problems.AddRange(SessionProblems(o.Sessions));
        problems.AddRange(Membership.ClusterProviders.Problems(o.Cluster));
        problems.AddRange(SecurityProblems(o, apiKeys));
        if (problems.Count > 0)
            throw new InvalidOperationException($"invalid Chorus configuration:\n  - {string.Join("\n  - ", problems)}");
    }

    private static IEnumerable<string> SessionProblems(Grains.SessionOptions s)
    {
        if (s.DrainSeconds < 0) yield return $"Chorus:Sessions:DrainSeconds must be ≥ 0, got {s.DrainSeconds}";
        if (s.QueueDepth < 0) yield return $"Chorus:Sessions:QueueDepth must be ≥ 0 (0 = no queue), got {s.QueueDepth}";
        if (s.MaxQueueMilliseconds < 0) yield return $"Chorus:Sessions:MaxQueueMilliseconds must be ≥ 0, got {s.MaxQueueMilliseconds}";
        // a session holds the slots it was granted while it waits for its next model's: the sweep must not take them meanwhile
        if (TimeSpan.FromMilliseconds(s.MaxQueueMilliseconds) >= s.IdleTimeout)
            yield return $"Chorus:Sessions:IdleTimeout ({s.IdleTimeout}) must be longer than Chorus:Sessions:MaxQueueMilliseconds ({s.MaxQueueMilliseconds} ms): "
                + "a session waiting in one model's queue holds the slots it already has on others, and the idle sweep would free them";
        foreach (var (name, value) in new[] { ("MaxTextBytes", s.MaxTextBytes), ("MaxMembers", s.MaxMembers), ("MaxTokensLimit", s.MaxTokensLimit) })
            if (value < 1) yield return $"Chorus:Sessions:{name} must be ≥ 1, got {value}";
    }

    private static IEnumerable<string> SecurityProblems(ChorusOptions o, ApiKeySet apiKeys)
    {
        // anyone who can reach a non-loopback address could otherwise use the cluster's models
        if (o.Cluster.ListenOnAnyAddress && apiKeys.IsEmpty && !o.Security.AllowAnonymous)
            yield return "the silo listens on every address (Chorus:Cluster:ListenOnAnyAddress=true) but no API key is configured: "
                + "set Chorus:Security:ApiKeys (or Chorus:Security:ApiKeysFile, a file with one key per line), "
                + "or set Chorus:Security:AllowAnonymous=true to serve without authentication";
        if (o.Security.SiloTls && string.IsNullOrWhiteSpace(o.Security.CertificatePath))
            yield return "Chorus:Security:SiloTls=true needs a certificate: set Chorus:Security:CertificatePath";
        if (!string.IsNullOrWhiteSpace(o.Security.CertificateKeyPath) && string.IsNullOrWhiteSpace(o.Security.CertificatePath))
            yield return "Chorus:Security:CertificateKeyPath is set without Chorus:Security:CertificatePath";
    }
}
