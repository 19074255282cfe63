using Npgsql;

namespace Chorus.Silo.Membership;

/// <summary>
/// The Orleans ADO.NET membership tables and queries in a PostgreSQL database (<c>PostgreSqlMembership.sql</c>):
/// applied by <c>chorus cluster init</c> or by a silo with <c>Chorus:Cluster:InitializeStore=true</c>.
/// </summary>
public static class PostgreSqlMembershipSchema
{
    /// <summary>The query keys the Orleans 10.3 ADO.NET clustering provider reads; a database without all of them is not initialised.</summary>
    public static readonly string[] QueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "MembershipReadRowKey",
        "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey",
    ];

    // any constant shared by every Chorus silo: concurrent initialisers of one database take turns
    private const long InitLock = 0x63686f7275730001;

    public static string Script
    {
        get
        {
            using var stream = typeof(PostgreSqlMembershipSchema).Assembly.GetManifestResourceStream("Chorus.Silo.Membership.PostgreSqlMembership.sql")
                ?? throw new InvalidOperationException("the PostgreSQL membership script is missing from chorus-silo.dll (a build problem)");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Creates the tables (when missing) and writes every query; safe to run again.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({InitLock})", connection, transaction))
            await take.ExecuteNonQueryAsync(cancellationToken);
        await using (var apply = new NpgsqlCommand(Script, connection, transaction))
            await apply.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The query keys the provider needs that the database lacks (all of them when it has no OrleansQuery table).</summary>
    public static async Task<IReadOnlyList<string>> MissingQueriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('orleansquery') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return QueryKeys;
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using var read = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        await using var rows = await read.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) present.Add(rows.GetString(0));
        return [.. QueryKeys.Where(k => !present.Contains(k))];
    }
}
