using Chorus.Grains;

namespace Chorus.Silo.Membership;

/// <summary>The clustering providers a silo knows, and what each needs from <see cref="ClusterSettings"/>.</summary>
public static class ClusterProviders
{
    public const string Localhost = "localhost";
    public const string Development = "development";
    public const string Redis = "redis";
    public const string AdoNet = "adonet";

    public static readonly string[] All = [Localhost, Development, Redis, AdoNet];

    public static string Normalize(string? provider) => (provider ?? "").Trim().ToLowerInvariant();

    /// <summary>Configuration problems of <c>Chorus:Cluster</c>, each with its fix.</summary>
    public static IEnumerable<string> Problems(ClusterSettings c)
    {
        var provider = Normalize(c.Provider);
        if (!All.Contains(provider))
            yield return $"Chorus:Cluster:Provider '{c.Provider}' is unknown: use {string.Join(", ", All)}";
        if (provider is Redis or AdoNet && string.IsNullOrWhiteSpace(c.ConnectionString))
            yield return $"Chorus:Cluster:Provider={provider} needs Chorus:Cluster:ConnectionString ("
                + (provider == Redis ? "e.g. redis-host:6379,password=…" : "e.g. Host=db;Database=chorus;Username=chorus;Password=…") + ")";
        if (!System.Net.IPAddress.TryParse(c.AdvertisedAddress, out _))
            yield return $"Chorus:Cluster:AdvertisedAddress '{c.AdvertisedAddress}' is not an IP address (in Kubernetes: the pod IP, status.podIP)";
        if (c.StoreTimeoutSeconds < 1) yield return $"Chorus:Cluster:StoreTimeoutSeconds must be ≥ 1, got {c.StoreTimeoutSeconds}";
        foreach (var problem in MembershipTimingsSetup.Problems(c.Membership)) yield return problem;
        if (c.Dashboard && c.MetricsPort <= 0) yield return "Chorus:Cluster:Dashboard=true needs Chorus:Cluster:MetricsPort (the dashboard is served there under /dashboard)";
    }
}
