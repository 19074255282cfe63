namespace Chorus.Grains;

/// <summary>Clustering: localhost (one process), development (several processes, one primary silo), or a membership store (redis, adonet).</summary>
public sealed class ClusterSettings
{
    /// <summary>localhost | development | redis | adonet (PostgreSQL).</summary>
    public string Provider { get; set; } = "localhost";

    /// <summary>The membership store (redis: a StackExchange.Redis configuration string; adonet: an Npgsql connection string).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>adonet: create the Orleans membership tables and queries at start-up when the database lacks them.</summary>
    public bool InitializeStore { get; set; }

    /// <summary>How long start-up waits for the membership store to answer before it fails naming the store.</summary>
    public int StoreTimeoutSeconds { get; set; } = 10;

    /// <summary>Failure detection timings (Orleans' <c>ClusterMembershipOptions</c>), production defaults.</summary>
    public MembershipTimings Membership { get; set; } = new();

    /// <summary>The Orleans dashboard on the metrics port (<see cref="MetricsPort"/>) under /dashboard.</summary>
    public bool Dashboard { get; set; }

    public string ClusterId { get; set; } = "chorus";

    public string ServiceId { get; set; } = "chorus";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The primary silo's silo-to-silo endpoint (development clustering), e.g. 127.0.0.1:11111.</summary>
    public string? PrimarySilo { get; set; }

    /// <summary>The address this silo advertises (default 127.0.0.1).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>gRPC (HTTP/2) port of the public API; 0 = no gRPC endpoint.</summary>
    public int GrpcPort { get; set; } = 5080;

    /// <summary>HTTP/1.1 port of the OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions); 0 = off.</summary>
    public int HttpPort { get; set; }

    /// <summary>HTTP/1.1 port for Prometheus metrics (/metrics) and health (/healthz); 0 = off.</summary>
    public int MetricsPort { get; set; }

    /// <summary>Listen on every interface instead of loopback only (containers, real clusters).</summary>
    public bool ListenOnAnyAddress { get; set; }
}
