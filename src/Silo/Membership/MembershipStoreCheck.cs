using Chorus.Grains;
using Npgsql;
using StackExchange.Redis;

namespace Chorus.Silo.Membership;

/// <summary>
/// Before the silo starts: the membership store is reachable (and, for PostgreSQL, initialised — or initialised now
/// when <c>InitializeStore</c> says so). A wrong connection string or an unreachable store fails start-up with a message
/// that names the store (password left out), instead of Orleans' retries and a stack trace.
/// </summary>
public static class MembershipStoreCheck
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the store when it cannot be used; returns what was checked.</summary>
    public static string ThrowIfUnusable(ClusterSettings cluster)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, cluster.StoreTimeoutSeconds));
        return ClusterProviders.Normalize(cluster.Provider) switch
        {
            ClusterProviders.Redis => CheckRedis(cluster.ConnectionString!, timeout),
            ClusterProviders.AdoNet => CheckPostgreSqlAsync(cluster.ConnectionString!, cluster.InitializeStore, timeout).GetAwaiter().GetResult(),
            _ => "",
        };
    }

    private static string CheckRedis(string connectionString, TimeSpan timeout)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Chorus:Cluster:ConnectionString is not a Redis configuration string ({e.Message}); expected e.g. redis-host:6379,password=…");
        }
        var store = $"the Redis membership store at {Describe(options)}";
        if (options.EndPoints.Count == 0)
            throw new InvalidOperationException($"Chorus:Cluster:ConnectionString names no Redis endpoint; expected e.g. redis-host:6379,password=…");
        options.ConnectTimeout = (int)timeout.TotalMilliseconds;
        options.AbortOnConnectFail = true;
        try
        {
            using var redis = ConnectionMultiplexer.Connect(options);
            redis.GetDatabase().Ping();
            return store;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new InvalidOperationException($"{store} cannot be used: {FirstLine(e.Message)}; check Chorus:Cluster:ConnectionString and that Redis is running");
        }
    }

    private static async Task<string> CheckPostgreSqlAsync(string connectionString, bool initialize, TimeSpan timeout)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = (int)Math.Ceiling(timeout.TotalSeconds) };
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Chorus:Cluster:ConnectionString is not a PostgreSQL connection string ({e.Message}); expected e.g. Host=db;Database=chorus;Username=chorus;Password=…");
        }
        var store = $"the PostgreSQL membership store {Describe(builder)}";
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            using var cancel = new CancellationTokenSource(timeout * 2);
            await connection.OpenAsync(cancel.Token);
            var missing = await PostgreSqlMembershipSchema.MissingQueriesAsync(connection, cancel.Token);
            if (missing.Count == 0) return store;
            if (!initialize)
                throw new InvalidOperationException($"{store} has no Orleans membership tables (missing queries: {string.Join(", ", missing)}); "
                    + "run `chorus cluster init --connection-string …` once, or start one silo with Chorus:Cluster:InitializeStore=true");
            await PostgreSqlMembershipSchema.ApplyAsync(connection, cancel.Token);
            return $"{store} (initialised now)";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException($"{store} cannot be used: {FirstLine(e.Message)}; check Chorus:Cluster:ConnectionString and that PostgreSQL is running");
        }
    }

    /// <summary>Where a Redis configuration points, without its password.</summary>
    public static string Describe(ConfigurationOptions options) => string.Join(",", options.EndPoints.Select(e => e.ToString()));

    /// <summary>Where a PostgreSQL connection string points, without its password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b) => $"(host {b.Host}, port {b.Port}, database {b.Database ?? "(default)"}, user {b.Username ?? "(default)"})";

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n');
        return (newline < 0 ? message : message[..newline]).Trim();
    }
}
