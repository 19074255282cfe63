using Chorus.Grains;
using Orleans.Configuration;

namespace Chorus.Silo.Membership;

/// <summary>
/// <c>Chorus:Cluster:Membership:…</c> → Orleans' <see cref="ClusterMembershipOptions"/>, checked first: a combination that
/// could never declare a silo dead, or that suspects healthy ones by construction, stops start-up naming the setting.
/// </summary>
public static class MembershipTimingsSetup
{
    private const string Prefix = "Chorus:Cluster:Membership:";

    public static void Apply(ClusterMembershipOptions o, MembershipTimings t)
    {
        o.ProbeTimeout = t.ProbeTimeout;
        o.NumMissedProbesLimit = t.NumMissedProbesLimit;
        o.NumVotesForDeathDeclaration = t.NumVotesForDeathDeclaration;
        o.DeathVoteExpirationTimeout = t.DeathVoteExpirationTimeout;
        o.IAmAliveTablePublishTimeout = t.IAmAliveTablePublishTimeout;
        o.NumMissedTableIAmAliveLimit = t.NumMissedTableIAmAliveLimit;
        o.NumProbedSilos = t.NumProbedSilos;
        o.TableRefreshTimeout = t.TableRefreshTimeout;
    }

    /// <summary>The time from a crash to the last missed probe that suspects it: probes every ProbeTimeout, NumMissedProbesLimit of them.</summary>
    public static TimeSpan SuspicionWindow(MembershipTimings t) => t.ProbeTimeout * t.NumMissedProbesLimit;

    /// <summary>Problems of <c>Chorus:Cluster:Membership</c>, each with its fix.</summary>
    public static IEnumerable<string> Problems(MembershipTimings t)
    {
        foreach (var (name, value) in new[]
        {
            (nameof(t.ProbeTimeout), t.ProbeTimeout), (nameof(t.DeathVoteExpirationTimeout), t.DeathVoteExpirationTimeout),
            (nameof(t.IAmAliveTablePublishTimeout), t.IAmAliveTablePublishTimeout), (nameof(t.TableRefreshTimeout), t.TableRefreshTimeout),
        })
        {
            if (value <= TimeSpan.Zero) yield return $"{Prefix}{name} must be a positive time like \"00:00:05\", got {value}";
        }
        foreach (var (name, value) in new[]
        {
            (nameof(t.NumMissedProbesLimit), t.NumMissedProbesLimit), (nameof(t.NumVotesForDeathDeclaration), t.NumVotesForDeathDeclaration),
            (nameof(t.NumMissedTableIAmAliveLimit), t.NumMissedTableIAmAliveLimit), (nameof(t.NumProbedSilos), t.NumProbedSilos),
        })
        {
            if (value < 1) yield return $"{Prefix}{name} must be ≥ 1, got {value}";
        }
        if (t.ProbeTimeout <= TimeSpan.Zero || t.NumMissedProbesLimit < 1) yield break;

        // only the silos that probe a silo vote on it: more votes than probers could never be collected
        if (t.NumVotesForDeathDeclaration > t.NumProbedSilos)
            yield return $"{Prefix}NumVotesForDeathDeclaration ({t.NumVotesForDeathDeclaration}) exceeds {Prefix}NumProbedSilos ({t.NumProbedSilos}): "
                + "only the silos that probe a silo can vote it dead; lower the votes or raise the probed silos";
        // the first vote must still count when the last prober's suspicion window has passed
        var window = SuspicionWindow(t);
        if (t.NumVotesForDeathDeclaration > 1 && t.DeathVoteExpirationTimeout <= window)
            yield return $"{Prefix}DeathVoteExpirationTimeout ({t.DeathVoteExpirationTimeout}) must exceed ProbeTimeout × NumMissedProbesLimit ({window}): "
                + "a vote would expire before a second silo can vote, and a dead silo would never be declared dead; raise it (e.g. to 00:02:00)";
    }
}
