using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Chorus.Silo;

/// <summary>
/// <c>CHORUS_CONFIG_FILE=/etc/chorus/chorus.json</c> (environment or command line): an appsettings-style JSON file read
/// before the environment and the command line, which still override it — how the Helm chart hands a silo its ConfigMap.
/// </summary>
internal static class ConfigFile
{
    public const string Key = "CHORUS_CONFIG_FILE";

    public static void AddIfConfigured(WebApplicationBuilder builder, string[] args)
    {
        if (builder.Configuration[Key] is not { Length: > 0 } path) return;
        if (!File.Exists(path)) throw new InvalidOperationException($"{Key} names '{path}', which does not exist; mount the file or unset {Key}");
        builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
        // environment and command line keep the last word
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddEnvironmentVariables("CHORUS_");
        builder.Configuration.AddCommandLine(args);
    }
}
