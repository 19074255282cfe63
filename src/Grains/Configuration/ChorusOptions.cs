namespace Chorus.Grains;

/// <summary>The <c>Chorus</c> configuration section: the models this silo serves, the named packs, the cluster and session limits.</summary>
public sealed class ChorusOptions
{
    public const string Section = "Chorus";

    /// <summary>Models served by THIS silo (each becomes a model grain that activates only here).</summary>
    public List<ModelOptions> Models { get; set; } = [];

    /// <summary>Named presets: members with roles, a method and its parameters.</summary>
    public List<PackOptions> Packs { get; set; } = [];

    /// <summary>How silos find each other and which ports they use.</summary>
    public ClusterSettings Cluster { get; set; } = new();

    /// <summary>Limits that apply to every session.</summary>
    public SessionOptions Sessions { get; set; } = new();

    /// <summary>Who may call the public API (API keys) and how it is served (TLS).</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Where traces go (docs/observability.md).</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>Model ids every silo of the cluster may be asked for (packs' members included): an id outside
    /// this set and not served anywhere is NotFound; an id inside it that no live silo serves is Unavailable.</summary>
    public List<string> KnownModels { get; set; } = [];

    /// <summary>Folder for cached vocabulary maps and tokenizers (default: a temp folder).</summary>
    public string? CacheDirectory { get; set; }
}
