using System.CommandLine;
using Chorus.Grains;
using Chorus.Silo.Membership;

namespace Chorus.Client.Commands;

/// <summary><c>chorus cluster init</c>: prepare a cluster's membership store (the Orleans tables and queries in PostgreSQL).</summary>
internal static class ClusterCommand
{
    public const string ConnectionStringVariable = "Chorus__Cluster__ConnectionString";

    public static Command Create(CommandContext context)
    {
        var command = new Command("cluster", "Operate a cluster's membership store");
        command.Subcommands.Add(Init(context));
        return command;
    }

    private static Command Init(CommandContext context)
    {
        var provider = new Option<string>("--provider") { Description = "adonet (PostgreSQL: creates the tables and queries) or redis (checks it answers)", DefaultValueFactory = _ => ClusterProviders.AdoNet };
        var connection = new Option<string?>("--connection-string") { Description = $"The store's connection string; default: the environment variable {ConnectionStringVariable}" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the store", DefaultValueFactory = _ => 10 };
        var command = new Command("init", "Create the Orleans membership tables and queries in a PostgreSQL database (safe to run again)") { provider, connection, timeout };
        command.SetAction((parse, _) => context.Guard(false, async () =>
        {
            var cluster = new ClusterSettings
            {
                Provider = parse.GetValue(provider)!,
                ConnectionString = parse.GetValue(connection) is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable(ConnectionStringVariable),
                InitializeStore = true,
                StoreTimeoutSeconds = parse.GetValue(timeout),
            };
            var kind = ClusterProviders.Normalize(cluster.Provider);
            if (kind is not (ClusterProviders.AdoNet or ClusterProviders.Redis))
                throw new ArgumentException($"--provider '{cluster.Provider}': a membership store is adonet or redis");
            if (string.IsNullOrWhiteSpace(cluster.ConnectionString))
                throw new ArgumentException($"give --connection-string or set {ConnectionStringVariable}");
            var store = await Task.Run(() => MembershipStoreCheck.ThrowIfUnusable(cluster));
            await context.Output.WriteLineAsync($"ready: {store}");
            return 0;
        }));
        return command;
    }
}
