using Chorus.Grains;

namespace Chorus.Client.Cluster;

/// <summary>
/// Which cluster a command talks to and who takes part: a running cluster at <see cref="Endpoint"/>, or else an
/// in-process silo serving the <see cref="Models"/> files (and whatever <see cref="ConfigFile"/> configures).
/// </summary>
public sealed record ClusterTarget
{
    /// <summary>A running cluster's gRPC endpoint; null = in-process.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The API key sent to <see cref="Endpoint"/> (<c>authorization: Bearer &lt;key&gt;</c>); null = none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Members in role order: model ids, or (in-process) GGUF files served under their file name.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>A named pack instead of <see cref="Models"/>.</summary>
    public string? Pack { get; init; }

    /// <summary>An appsettings-style JSON file with a Chorus section (in-process only).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Context size per sequence for models served in-process from files (0 = the silo default).</summary>
    public int ContextSize { get; init; }

    /// <summary>CPU threads per model served in-process from files (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Show the in-process silo's log (stderr).</summary>
    public bool Verbose { get; init; }

    /// <summary>More in-process configuration (the demo's pack).</summary>
    public Action<ChorusOptions>? Configure { get; init; }

    public bool InProcess => string.IsNullOrWhiteSpace(Endpoint);
}
