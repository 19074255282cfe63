using Chorus.Api;

namespace Chorus.Client.Cluster;

/// <summary>
/// One code path for both modes: a gRPC client to a running cluster (<c>--endpoint</c>) or to a silo started here
/// in-process and stopped on dispose — plus the members a request names.
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly InProcessSilo? _silo;

    private ClusterConnection(ChorusApiClient client, Members members, InProcessSilo? silo)
    {
        Client = client;
        Members = members;
        _silo = silo;
    }

    public ChorusApiClient Client { get; }

    /// <summary>The request's members: the pack, or model ids in role order.</summary>
    public Members Members { get; }

    /// <summary>True when the silo runs inside this process.</summary>
    public bool InProcess => _silo is not null;

    public static async Task<ClusterConnection> OpenAsync(ClusterTarget target, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.InProcess)
        {
            if (target.ConfigFile is not null)
                throw new ArgumentException("--config configures an in-process silo; with --endpoint the running cluster's configuration applies");
            return new ClusterConnection(ChorusApiClient.ForAddress(target.Endpoint!, target.ApiKey), MembersOf(target, target.Models.Select(ModelIds.FromArgument)), null);
        }

        var (options, members) = InProcessConfiguration.Resolve(target);
        await progress.WriteLineAsync($"starting in-process silo ({options.Models.Count} model(s): {string.Join(", ", options.Models.Select(m => m.Id))})…");
        InProcessSilo silo;
        try
        {
            silo = await InProcessSilo.StartAsync(o => InProcessConfiguration.Apply(options, o), target.Verbose, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not InvalidOperationException)
        {
            throw new InvalidOperationException($"cannot start the in-process silo: {e.Message}", e);
        }
        var client = ChorusApiClient.ForAddress(silo.Endpoint);
        var connection = new ClusterConnection(client, MembersOf(target, members), silo);
        try
        {
            await progress.WriteLineAsync("loading models…");
            await client.ListModelsAsync(cancellationToken); // activates every model grain: load errors surface here
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static Members MembersOf(ClusterTarget target, IEnumerable<string> models)
    {
        var members = new Members { Pack = target.Pack ?? "" };
        members.Models.AddRange(models);
        return members;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_silo is not null) await _silo.DisposeAsync();
    }
}
