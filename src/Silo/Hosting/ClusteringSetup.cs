using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Chorus.Grains;
using Chorus.Silo.Membership;
using Orleans.Configuration;

namespace Chorus.Silo;

/// <summary>
/// Clustering: localhost for one process, development (a primary silo) for trials on several processes, and a real
/// membership store — Redis or PostgreSQL (ADO.NET) — for clusters whose silos come and go. With a store every silo
/// advertises an explicit address and ports (in Kubernetes: the pod IP), as the Orleans Kubernetes guidance asks.
/// </summary>
internal static class ClusteringSetup
{
    public static void Apply(ISiloBuilder silo, ClusterSettings cluster)
    {
        var address = IPAddress.Parse(cluster.AdvertisedAddress);
        switch (ClusterProviders.Normalize(cluster.Provider))
        {
            case ClusterProviders.Localhost:
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
                break;
            case ClusterProviders.Development:
                var primary = ParseEndpoint(cluster.PrimarySilo) ?? new IPEndPoint(address, cluster.SiloPort);
                silo.UseDevelopmentClustering(primary);
                Identify(silo, cluster, address);
                break;
            case ClusterProviders.Redis:
                silo.UseRedisClustering(cluster.ConnectionString!);
                // a Redis without persistence that restarts empty would leave the running silos unable to see deaths and joins
                silo.Services.AddSingleton<RedisMembershipRecovery>();
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RedisMembershipRecovery>());
                Identify(silo, cluster, address);
                break;
            case ClusterProviders.AdoNet:
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = cluster.ConnectionString!;
                });
                Identify(silo, cluster, address);
                break;
            default:
                throw new InvalidOperationException($"unknown clustering provider '{cluster.Provider}' ({string.Join(", ", ClusterProviders.All)})");
        }
        // Orleans' default directory deactivates every activation whose directory entry lived on a silo that left — a graceful
        // stop of one silo would cut sessions whose models run on the others. The distributed directory (experimental in
        // Orleans 10) recovers the departed silo's entries from the live silos instead: activations elsewhere keep running.
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        // failure detection from Chorus:Cluster:Membership (production defaults; tests set fast values)
        silo.Configure<ClusterMembershipOptions>(o => MembershipTimingsSetup.Apply(o, cluster.Membership));
    }

    private static void Identify(ISiloBuilder silo, ClusterSettings cluster, IPAddress address)
    {
        silo.Configure<Orleans.Configuration.ClusterOptions>(o => { o.ClusterId = cluster.ClusterId; o.ServiceId = cluster.ServiceId; });
        silo.ConfigureEndpoints(address, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: cluster.ListenOnAnyAddress);
    }

    // "ip:port" or "host:port" (a Kubernetes pod DNS name, resolved once at start-up).
    private static IPEndPoint? ParseEndpoint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (IPEndPoint.TryParse(text, out var ep)) return ep;
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), out var port))
        {
            var host = text[..colon];
            var address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new InvalidOperationException($"Chorus:Cluster:PrimarySilo host '{host}' did not resolve to an IPv4 address");
            return new IPEndPoint(address, port);
        }
        throw new InvalidOperationException($"Chorus:Cluster:PrimarySilo '{text}' is not an endpoint like 127.0.0.1:11111 or chorus-0.chorus:11111");
    }
}
