using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Chorus.Silo;

/// <summary>
/// <c>CHORUS_CONFIG_FILE=/etc/chorus/chorus.json</c> (environment or command line): an appsettings-style JSON file —
/// how the Helm chart hands a silo its ConfigMap. It overrides appsettings and the environment (the image's ENV
/// defaults, such as its metrics port); only the command line overrides it.
/// </summary>
internal static class ConfigFile
{
    public const string Key = "CHORUS_CONFIG_FILE";

    public static void AddIfConfigured(WebApplicationBuilder builder, string[] args)
    {
        if (builder.Configuration[Key] is not { Length: > 0 } path) return;
        if (!File.Exists(path)) throw new InvalidOperationException($"{Key} names '{path}', which does not exist; mount the file or unset {Key}");
        builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
        builder.Configuration.AddCommandLine(args);
    }
}
