using Chorus.Client;
using Chorus.Client.Cluster;
using Chorus.Silo.Membership;
using Chorus.Silo.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests;

/// <summary>
/// Start-up against a real membership store: an unreachable store or a wrong connection string fails start-up with a
/// message naming it; an uninitialised PostgreSQL database says to run <c>chorus cluster init</c>, which prepares it.
/// </summary>
[Collection(MembershipStoresCollection.Name)]
public sealed class MembershipStoreTests(MembershipStoresFixture stores, ITestOutputHelper output)
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("redis", "Redis membership store at 127.0.0.1:{0}")]
    [InlineData("adonet", "PostgreSQL membership store (host 127.0.0.1, port {0}")]
    public async Task A_silo_whose_store_is_unreachable_fails_startup_naming_the_store(string provider, string named)
    {
        var closed = FreePorts.Take(1)[0];
        var connection = provider == "redis" ? $"127.0.0.1:{closed}" : $"Host=127.0.0.1;Port={closed};Username=chorus;Password=secret;Database=chorus";
        var log = await FailedStartAsync(provider, connection);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, named, closed), log, StringComparison.Ordinal);
        Assert.Contains("check Chorus:Cluster:ConnectionString", log, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis", "127.0.0.1:6379,nonsense=1", "is not a Redis configuration string")]
    [InlineData("adonet", "Host=127.0.0.1;Nonsense=1", "is not a PostgreSQL connection string")]
    [InlineData("adonet", "", "needs Chorus:Cluster:ConnectionString")]
    public async Task A_malformed_connection_string_fails_startup_naming_the_setting(string provider, string connection, string expected)
    {
        var log = await FailedStartAsync(provider, connection);
        Assert.Contains(expected, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_fails_startup_naming_it()
    {
        var log = await FailedStartAsync("adonet", stores.Postgres.ConnectionString("no_such_database"));
        Assert.Contains("database no_such_database", log, StringComparison.Ordinal);
        Assert.Contains("no_such_database\" does not exist", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_uninitialised_database_fails_startup_until_chorus_cluster_init_prepares_it()
    {
        var database = await stores.NewDatabaseAsync();
        var log = await FailedStartAsync("adonet", database);
        Assert.Contains("has no Orleans membership tables", log, StringComparison.Ordinal);
        Assert.Contains("chorus cluster init", log, StringComparison.Ordinal);

        // the real command, twice: it is safe to run again (after an upgrade)
        for (var run = 0; run < 2; run++)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await ChorusCommandLine.RunAsync(["cluster", "init", "--connection-string", database], stdout, stderr);
            output.WriteLine($"chorus cluster init → {code}: {stdout}{stderr}");
            Assert.Equal(0, code);
            Assert.Contains("ready: the PostgreSQL membership store", stdout.ToString(), StringComparison.Ordinal);
        }
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            Assert.Empty(await PostgreSqlMembershipSchema.MissingQueriesAsync(connection));
        }

        using var silo = StartSilo("adonet", database);
        await silo.WaitUntilServingAsync(StoreCluster.StartTimeout);
    }

    [Fact]
    public async Task A_silo_told_to_initialise_the_store_creates_the_tables_and_serves()
    {
        var database = await stores.NewDatabaseAsync();
        using var silo = StartSilo("adonet", database, "--Chorus:Cluster:InitializeStore=true");
        await silo.WaitUntilServingAsync(StoreCluster.StartTimeout);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        Assert.Empty(await PostgreSqlMembershipSchema.MissingQueriesAsync(connection));
        // the silo wrote its own row: it is a member of the cluster the table records
        await using var count = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3", connection);
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
    }

    private SiloProcess StartSilo(string provider, string connection, params string[] extra)
    {
        var ports = FreePorts.Take(3);
        return SiloProcess.Start($"{provider}-silo", ports[0], ports[2],
        [
            $"--Chorus:Cluster:Provider={provider}", $"--Chorus:Cluster:ConnectionString={connection}", "--Chorus:Cluster:StoreTimeoutSeconds=3",
            $"--Chorus:Cluster:ClusterId=store-check-{Guid.NewGuid():N}",
            $"--Chorus:Cluster:SiloPort={ports[0]}", $"--Chorus:Cluster:GatewayPort={ports[1]}", $"--Chorus:Cluster:GrpcPort={ports[2]}", .. extra,
        ]);
    }

    private async Task<string> FailedStartAsync(string provider, string connection)
    {
        using var silo = StartSilo(provider, connection);
        using var timeout = new CancellationTokenSource(ExitWithin);
        await silo.WaitForExitAsync(timeout.Token);
        output.WriteLine(silo.Log);
        Assert.True(silo.HasExited, $"the silo did not fail start-up within {ExitWithin.TotalSeconds:F0} s:\n{silo.Log}");
        Assert.Equal(2, silo.ExitCode);
        return silo.Log;
    }
}
