using System.Text.Json.Nodes;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>The chart's values as Helm merges them: values.yaml, an example or a test's own values over it.</summary>
internal static class ChartValues
{
    public static JsonObject Defaults => YamlJson.Load(ChartFiles.ValuesFile);

    /// <summary>The values Helm would use with <c>-f example</c>.</summary>
    public static JsonObject With(string example) => YamlJson.Merge(Defaults, YamlJson.Load(example));

    /// <summary>
    /// values.yaml plus the two Secrets it cannot run without (API keys, a membership store), so it renders, with
    /// <paramref name="overrides"/> (JSON) merged over it: maps key by key, lists replaced.
    /// </summary>
    public static JsonObject Installable(string overrides = "{}")
    {
        var installable = YamlJson.Merge(Defaults, (JsonObject)JsonNode.Parse("""
            { "security": { "apiKeysSecret": "chorus-api-keys" }, "membership": { "connectionStringSecret": "chorus-membership" } }
            """)!);
        return YamlJson.Merge(installable, (JsonObject)JsonNode.Parse(overrides)!);
    }
}
