using System.Text.Json.Nodes;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// What the chart's templates derive from its values, built here the same way: the silo configuration of a group
/// (templates/_helpers.tpl, "chorus.config") and the environment of its pods (templates/statefulset.yaml).
/// </summary>
internal static class ChartValues
{
    public static JsonObject Defaults => YamlJson.Load(ChartFiles.ValuesFile);

    /// <summary>The values Helm would use with <c>-f example</c>.</summary>
    public static JsonObject With(string example) => YamlJson.Merge(Defaults, YamlJson.Load(example));

    /// <summary>The ConfigMap's chorus.json of group <paramref name="group"/>.</summary>
    public static JsonObject SiloConfig(JsonObject values, int group)
    {
        var v = values;
        var g = v["groups"]![group]!;
        var cluster = new JsonObject
        {
            ["Provider"] = Copy(v["membership"]!["provider"]), ["ClusterId"] = Copy(v["cluster"]!["clusterId"]), ["ServiceId"] = Copy(v["cluster"]!["serviceId"]),
            ["SiloPort"] = Copy(v["ports"]!["silo"]), ["GatewayPort"] = Copy(v["ports"]!["gateway"]), ["GrpcPort"] = Copy(v["ports"]!["grpc"]),
            ["MetricsPort"] = Copy(v["ports"]!["metrics"]), ["HttpPort"] = Copy(v["ports"]!["http"]) ?? 0, ["ListenOnAnyAddress"] = true,
            ["Dashboard"] = Copy(v["cluster"]!["dashboard"]), ["InitializeStore"] = Copy(v["membership"]!["initializeStore"]),
        };
        var known = new JsonArray();
        foreach (var id in v["groups"]!.AsArray().SelectMany(x => x!["models"]!.AsArray()).Select(m => (string)m!["id"]!).Distinct(StringComparer.Ordinal))
            known.Add(id);
        return new JsonObject
        {
            ["Chorus"] = new JsonObject
            {
                ["Cluster"] = cluster, ["Models"] = Copy(g["models"]), ["Packs"] = Copy(v["packs"]), ["Sessions"] = Sessions(v), ["KnownModels"] = known,
            },
        };
    }

    // the chart's sessions overrides with the drain time from cluster.drainSeconds
    private static JsonObject Sessions(JsonObject v)
    {
        var sessions = v["sessions"]?.DeepClone() as JsonObject ?? [];
        sessions["DrainSeconds"] = Copy(v["cluster"]!["drainSeconds"]);
        return sessions;
    }

    private static JsonNode? Copy(JsonNode? node) => node?.DeepClone();
}
