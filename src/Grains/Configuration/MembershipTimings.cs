namespace Chorus.Grains;

/// <summary>
/// Failure detection (<c>Chorus:Cluster:Membership:…</c>), named as Orleans' <c>ClusterMembershipOptions</c>. The defaults are
/// Orleans' own, made for production clusters on busy networks; tests and small trials set faster values explicitly
/// (docs/cluster.md says what each one trades: detection time against false suspicion).
/// </summary>
public sealed class MembershipTimings
{
    /// <summary>How often a silo probes each silo it monitors, and how long it waits for the answer.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Missed probes in a row after which the prober suspects the silo (votes it dead).</summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>Votes of distinct silos that declare a silo dead (capped by Orleans at half the active silos, at least 1).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a death vote counts; votes older than this are ignored.</summary>
    public TimeSpan DeathVoteExpirationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a silo writes its "I am alive" time into the membership store.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Missed "I am alive" writes after which a silo's votes are ignored and it may be declared dead by the table alone.</summary>
    public int NumMissedTableIAmAliveLimit { get; set; } = 3;

    /// <summary>How many other silos probe each silo.</summary>
    public int NumProbedSilos { get; set; } = 10;

    /// <summary>How often a silo reads the whole membership table (gossip carries most changes sooner).</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
