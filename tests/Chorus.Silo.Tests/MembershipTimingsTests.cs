using Chorus.Client.Cluster;
using Chorus.Grains;
using Chorus.Silo.Membership;
using Chorus.Silo.Tests.Support;
using Orleans.Configuration;

namespace Chorus.Silo.Tests;

/// <summary>
/// <c>Chorus:Cluster:Membership</c>: Orleans' production defaults unless configured, the configured values reach Orleans,
/// and incoherent ones stop start-up with a line naming the setting and the fix.
/// </summary>
public sealed class MembershipTimingsTests
{
    [Fact]
    public void The_defaults_are_Orleans_own_and_coherent()
    {
        var orleans = new ClusterMembershipOptions();
        var chorus = new MembershipTimings();
        Assert.Equal(orleans.ProbeTimeout, chorus.ProbeTimeout);
        Assert.Equal(orleans.NumMissedProbesLimit, chorus.NumMissedProbesLimit);
        Assert.Equal(orleans.NumVotesForDeathDeclaration, chorus.NumVotesForDeathDeclaration);
        Assert.Equal(orleans.DeathVoteExpirationTimeout, chorus.DeathVoteExpirationTimeout);
        Assert.Equal(orleans.IAmAliveTablePublishTimeout, chorus.IAmAliveTablePublishTimeout);
        Assert.Equal(orleans.NumMissedTableIAmAliveLimit, chorus.NumMissedTableIAmAliveLimit);
        Assert.Equal(orleans.NumProbedSilos, chorus.NumProbedSilos);
        Assert.Equal(orleans.TableRefreshTimeout, chorus.TableRefreshTimeout);
        Assert.Empty(MembershipTimingsSetup.Problems(chorus));
    }

    [Fact]
    public void Configured_values_reach_Orleans()
    {
        var chorus = new MembershipTimings
        {
            ProbeTimeout = TimeSpan.FromSeconds(2), NumMissedProbesLimit = 2, NumVotesForDeathDeclaration = 1, DeathVoteExpirationTimeout = TimeSpan.FromSeconds(50),
            IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10), NumMissedTableIAmAliveLimit = 4, NumProbedSilos = 3, TableRefreshTimeout = TimeSpan.FromSeconds(7),
        };
        var orleans = new ClusterMembershipOptions();
        MembershipTimingsSetup.Apply(orleans, chorus);
        Assert.Equal((2.0, 2, 1, 50.0, 10.0, 4, 3, 7.0), (orleans.ProbeTimeout.TotalSeconds, orleans.NumMissedProbesLimit, orleans.NumVotesForDeathDeclaration,
            orleans.DeathVoteExpirationTimeout.TotalSeconds, orleans.IAmAliveTablePublishTimeout.TotalSeconds, orleans.NumMissedTableIAmAliveLimit,
            orleans.NumProbedSilos, orleans.TableRefreshTimeout.TotalSeconds));
    }

    [Theory]
    [InlineData("ProbeTimeout", "00:00:00", "Chorus:Cluster:Membership:ProbeTimeout must be a positive time")]
    [InlineData("NumMissedProbesLimit", "0", "Chorus:Cluster:Membership:NumMissedProbesLimit must be ≥ 1")]
    [InlineData("NumVotesForDeathDeclaration", "11", "exceeds Chorus:Cluster:Membership:NumProbedSilos (10)")]
    [InlineData("DeathVoteExpirationTimeout", "00:00:15", "DeathVoteExpirationTimeout (00:00:15) must exceed ProbeTimeout × NumMissedProbesLimit (00:00:15)")]
    public void An_incoherent_value_is_named_with_its_fix(string setting, string value, string expected)
    {
        var timings = new MembershipTimings();
        var property = typeof(MembershipTimings).GetProperty(setting)!;
        property.SetValue(timings, property.PropertyType == typeof(TimeSpan) ? TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        var problem = Assert.Single(MembershipTimingsSetup.Problems(timings));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Chorus:Cluster:Membership:ProbeTimeout=5s", "Chorus:Cluster:Membership:ProbeTimeout", "Write times like \"00:00:05\"")]
    [InlineData("--Chorus:Cluster:Membership:NumVotesForDeathDeclaration=0", "NumVotesForDeathDeclaration must be ≥ 1", "invalid Chorus configuration")]
    public async Task A_silo_with_a_bad_timing_refuses_to_start_naming_it(string argument, string named, string fix)
    {
        var ports = FreePorts.Take(3);
        using var silo = SiloProcess.Start("bad-timing", ports[0], ports[2],
            [.. SiloArguments.Ports(ports[0], ports[1], ports[2]), "--Chorus:Cluster:Provider=development", argument]);
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync(exit.Token);
        Assert.True(silo.HasExited, silo.Log);
        Assert.Equal(SiloExitCodes.ConfigurationError, silo.ExitCode);
        Assert.Contains(named, silo.Log, StringComparison.Ordinal);
        Assert.Contains(fix, silo.Log, StringComparison.Ordinal);
    }
}
