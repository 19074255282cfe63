using System.CommandLine;

namespace Chorus.Client.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Machine-readable JSON output" };

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Show llama.cpp's log" };

    public static Option<int> Threads() => new("--threads") { Description = "CPU threads (0 = all cores)", DefaultValueFactory = _ => 0 };

    public static Option<int> ContextSize() => new("--ctx") { Description = "Context size per sequence in tokens (0 = the model's trained context)", DefaultValueFactory = _ => 0 };

    public const string ApiKeyVariable = "CHORUS_API_KEY";

    public static Option<string?> ApiKey() => new("--api-key")
    {
        Description = $"API key of a cluster that requires one (sent as 'authorization: Bearer <key>'); default: the environment variable {ApiKeyVariable}",
    };

    /// <summary>The key given with --api-key, else CHORUS_API_KEY (read here, not as the option's default, so help never prints it).</summary>
    public static string? ApiKeyOf(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : null;

    public static Option<int> GpuLayers() => new("--gpu-layers") { Description = "Layers to offload to the GPU (-1 = all, 0 = none)", DefaultValueFactory = _ => -1 };
}
