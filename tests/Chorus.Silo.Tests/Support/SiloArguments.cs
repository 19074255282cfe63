namespace Chorus.Silo.Tests.Support;

/// <summary>Command-line configuration of a test silo's endpoints and models, written once.</summary>
internal static class SiloArguments
{
    /// <summary>The silo's three listening ports (<c>Chorus:Cluster</c>: silo-to-silo, client gateway, gRPC API).</summary>
    public static IEnumerable<string> Ports(int siloPort, int gatewayPort, int grpcPort)
    {
        yield return $"--Chorus:Cluster:SiloPort={siloPort}";
        yield return $"--Chorus:Cluster:GatewayPort={gatewayPort}";
        yield return $"--Chorus:Cluster:GrpcPort={grpcPort}";
    }

    /// <summary>
    /// Failure detection for tests that kill silos: a probe every 2 s, 2 missed probes, 1 vote (declared dead in 2–6 s).
    /// Production silos keep Orleans' defaults (docs/cluster.md, "Failure detection").
    /// </summary>
    public static IEnumerable<string> FastFailureDetection()
    {
        yield return "--Chorus:Cluster:Membership:ProbeTimeout=00:00:02";
        yield return "--Chorus:Cluster:Membership:NumMissedProbesLimit=2";
        yield return "--Chorus:Cluster:Membership:NumVotesForDeathDeclaration=1";
        yield return "--Chorus:Cluster:Membership:TableRefreshTimeout=00:00:02";
        yield return "--Chorus:Cluster:Membership:IAmAliveTablePublishTimeout=00:00:10";
    }

    /// <summary>
    /// Model <paramref name="index"/> of the silo; one thread each by default, since a test silo's models share the
    /// machine's two cores and ggml's threads spin while waiting.
    /// </summary>
    public static IEnumerable<string> Model(int index, string id, string path, int contextSize, int? slots = null, int threads = 1)
    {
        yield return $"--Chorus:Models:{index}:Id={id}";
        yield return $"--Chorus:Models:{index}:Path={path}";
        yield return $"--Chorus:Models:{index}:ContextSize={contextSize}";
        yield return $"--Chorus:Models:{index}:Threads={threads}";
        if (slots is { } n) yield return $"--Chorus:Models:{index}:MaxSequences={n}";
    }
}
