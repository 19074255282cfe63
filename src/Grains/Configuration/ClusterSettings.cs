namespace Chorus.Grains;

/// <summary>Clustering: localhost (one process), development (several processes, one primary silo), or a provider.</summary>
public sealed class ClusterSettings
{
    /// <summary>localhost | development.</summary>
    public string Provider { get; set; } = "localhost";

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
