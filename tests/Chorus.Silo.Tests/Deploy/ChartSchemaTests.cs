using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// The chart's values.schema.json (what Helm checks before rendering) against values.yaml, every example, every option,
/// and typical mistakes: each mistake is refused by this schema validator and by helm itself.
/// </summary>
public sealed class ChartSchemaTests(ITestOutputHelper output)
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(ChartFiles.SchemaFile));

    public static TheoryData<string> Examples() => [.. ChartFiles.Examples.Select(e => Path.GetFileName(e))];

    [Fact]
    public void The_schema_accepts_the_chart_defaults() => AssertValid(ChartValues.Defaults, "values.yaml");

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_schema_accepts_every_example(string example) =>
        AssertValid(ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", example)), example);

    [Fact]
    public void There_is_a_cpu_trial_and_a_gpu_pack_of_three_gpu_nodes()
    {
        var examples = ChartFiles.Examples.Select(e => ChartValues.With(e)).ToList();
        Assert.Contains(examples, v => v["groups"]!.AsArray().All(g => (long?)g!["gpus"] is null or 0) && (bool?)v["membership"]!["inChartRedis"]!["enabled"] == true);
        Assert.Contains(examples, v => v["groups"]!.AsArray().Where(g => (long?)g!["gpus"] > 0).Sum(g => (long)g!["replicas"]!) == 3);
    }

    [Theory]
    [InlineData("membership.provider", "\"zookeeper\"")]
    [InlineData("cluster.drainSeconds", "\"30s\"")]
    [InlineData("cluster.drainSeconds", "-1")]
    [InlineData("groups", "[]")]
    [InlineData("groups.0.models", "[]")]
    [InlineData("groups.0.gpus", "-1")]
    [InlineData("groups.0.name", "\"Has Spaces\"")]
    [InlineData("groups.0.models.0.id", "\"a/b\"")]
    [InlineData("groups.0.models.0.path", "\"models/relative.gguf\"")]
    [InlineData("groups.0.models.0.maxSequences", "0")]
    [InlineData("groups.0.models.0.contextSise", "2048")]
    [InlineData("ports.grpc", "70000")]
    [InlineData("security.allowAnonymous", "\"yes\"")]
    [InlineData("serviceMonitor.interval", "\"often\"")]
    // the options of issue 21, misspelt or mistyped
    [InlineData("extraEnvs", "[]")]                                          // a typo at the root, with global allowed
    [InlineData("nameOverride", "\"Bad_Name\"")]
    [InlineData("imagePullSecrets", "[\"regcred\"]")]                       // names, not { name: … }
    [InlineData("serviceAccount.automount", "false")]
    [InlineData("podSecurityContext.runAsNonroot", "true")]
    [InlineData("podSecurityContext.runAsUser", "-1")]
    [InlineData("securityContext.readOnlyRootFileSystem", "true")]
    [InlineData("securityContext.capabilities.drop", "\"ALL\"")]
    [InlineData("podLabels", "{\"team\": \"has spaces\"}")]
    [InlineData("podAnnotations", "{\"replicas\": 2}")]
    [InlineData("priorityClassName", "\"High\"")]
    [InlineData("affinity", "{\"nodeAfinity\": {}}")]
    [InlineData("topologySpread.whenUnsatisfiable", "\"Never\"")]
    [InlineData("topologySpread.maxSkew", "0")]
    [InlineData("topologySpreadConstraints", "[{\"maxSkew\": 1}]")]
    [InlineData("extraEnv", "[{\"value\": \"x\"}]")]                     // no name
    [InlineData("extraEnv", "[{\"name\": \"DOTNET_gcServer\", \"value\": 1}]")] // a number, which Kubernetes refuses
    [InlineData("extraEnvFrom", "[{\"secret\": {\"name\": \"s\"}}]")]
    [InlineData("extraVolumes", "[{\"secret\": {\"secretName\": \"s\"}}]")]
    [InlineData("extraVolumeMounts", "[{\"name\": \"tls\"}]")]             // no mountPath
    [InlineData("initContainers", "[{\"name\": \"fetch\"}]")]                // no image
    [InlineData("modelVolume.perPod.accessModes", "[\"RWX\"]")]
    [InlineData("modelVolume.perPod.size", "\"lots\"")]
    [InlineData("modelVolume.perPod.storageClass", "\"fast\"")]
    [InlineData("groups.0.topologySpread.whenUnsatisfiable", "\"Always\"")]
    [InlineData("groups.0.podLabels", "{\"tier\": \"gpu pool\"}")]
    [InlineData("groups.0.afinity", "{}")]
    [InlineData("serviceMonitor.apiKeySecretKey", "\"\"")]
    [InlineData("serviceMonitor.bearerToken", "\"k\"")]
    [InlineData("cluster.membership.ProbeTimeout", "\"10s\"")]              // a TimeSpan is hh:mm:ss
    [InlineData("cluster.membership.ProbeTimout", "\"00:00:10\"")]
    [InlineData("cluster.membership.NumMissedProbesLimit", "0")]
    [InlineData("cluster.membership.NumVotesForDeathDeclaration", "\"two\"")]
    [InlineData("logging.format", "\"text\"")]
    [InlineData("logging.formatter", "\"json\"")]
    [InlineData("telemetry.otlpEndpoint", "\"otel-collector:4317\"")]      // no scheme
    [InlineData("probes.protocol", "\"tcp\"")]
    [InlineData("probes.httpScheme", "\"https\"")]
    [InlineData("tmpSizeLimit", "\"big\"")]
    public void The_schema_rejects_a_mistake(string path, string json)
    {
        var values = ChartValues.Defaults;
        Set(values, path, JsonNode.Parse(json));
        var result = Evaluate(values);
        output.WriteLine($"{path} = {json}: {Describe(result)}");
        Assert.False(result.IsValid, $"{path} = {json} was accepted");

        // helm's own validator agrees (on values that would render but for this mistake)
        var installable = ChartValues.Installable();
        Set(installable, path, JsonNode.Parse(json));
        var helm = ChartRender.Template(installable);
        output.WriteLine($"helm: {helm.Error.Trim()}");
        Assert.False(helm.Succeeded, $"helm rendered {path} = {json}");
        Assert.Contains("values don't meet the specifications of the schema", helm.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_accepts_every_option_and_helm_renders_it()
    {
        var values = ChartValues.Installable("""
            {
              "global": { "imageRegistry": "registry.example", "anything": { "nested": [ 1, 2 ] } },
              "nameOverride": "chorus", "fullnameOverride": "llm",
              "imagePullSecrets": [ { "name": "regcred" } ],
              "cluster": { "membership": { "ProbeTimeout": "00:00:10", "NumMissedProbesLimit": 3, "NumVotesForDeathDeclaration": 2,
                                           "DeathVoteExpirationTimeout": "00:01:00", "IAmAliveTablePublishTimeout": "00:02:00",
                                           "NumProbedSilos": 3, "TableRefreshTimeout": "1.00:00:30.5" } },
              "logging": { "format": "json" },
              "telemetry": { "otlpEndpoint": "http://otel-collector.monitoring:4317" },
              "serviceAccount": { "create": false, "name": "existing", "annotations": { "a": "b" }, "automountServiceAccountToken": false },
              "podSecurityContext": { "runAsNonRoot": true, "runAsUser": 1654, "runAsGroup": 1654, "fsGroup": 1654, "fsGroupChangePolicy": "OnRootMismatch",
                                      "supplementalGroups": [ 44 ], "seccompProfile": { "type": "RuntimeDefault" } },
              "securityContext": { "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "privileged": false,
                                   "capabilities": { "drop": [ "ALL" ], "add": [] }, "runAsNonRoot": true },
              "tmpSizeLimit": "2Gi",
              "podAnnotations": { "prometheus.io/scrape": "false" }, "podLabels": { "example.com/team": "llm", "cost": "" },
              "priorityClassName": "inference",
              "affinity": { "podAntiAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [] } },
              "topologySpread": { "enabled": true, "topologyKey": "topology.kubernetes.io/zone", "maxSkew": 2, "whenUnsatisfiable": "DoNotSchedule" },
              "topologySpreadConstraints": [ { "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                                               "labelSelector": { "matchLabels": { "chorus/silo": "true" } } } ],
              "extraEnv": [ { "name": "DOTNET_gcServer", "value": "1" }, { "name": "NODE", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } } ],
              "extraEnvFrom": [ { "secretRef": { "name": "s" } }, { "configMapRef": { "name": "c" }, "prefix": "X_" } ],
              "extraVolumes": [ { "name": "tls", "secret": { "secretName": "chorus-tls" } } ],
              "extraVolumeMounts": [ { "name": "tls", "mountPath": "/tls", "readOnly": true } ],
              "initContainers": [ { "name": "fetch", "image": "busybox:1.36.1" } ],
              "modelVolume": { "claimName": "", "perPod": { "enabled": true, "size": "80Gi", "storageClassName": "fast", "accessModes": [ "ReadWriteOnce" ],
                                                             "dataSource": { "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "m" } } },
              "probes": { "protocol": "http", "httpScheme": "HTTPS" },
              "serviceMonitor": { "enabled": true, "apiKeySecret": "prometheus", "apiKeySecretKey": "token" },
              "groups": [ { "name": "experts", "replicas": 2, "gpus": 1, "resources": { "limits": { "nvidia.com/gpu": 1 } },
                            "affinity": { "nodeAffinity": {} }, "priorityClassName": "critical", "podAnnotations": { "x": "y" },
                            "podLabels": { "tier": "gpu" }, "topologySpread": { "whenUnsatisfiable": "ScheduleAnyway" },
                            "models": [ { "id": "a", "path": "/models/a.gguf", "gpu": 0 } ] } ]
            }
            """);
        AssertValid(values, "every option");
        var rendered = ChartRender.Template(values);
        Assert.True(rendered.Succeeded, rendered.Error);
        Assert.NotEmpty(rendered.OfKind("StatefulSet"));
    }

    private void AssertValid(JsonObject values, string name)
    {
        var result = Evaluate(values);
        output.WriteLine($"{name}: {(result.IsValid ? "valid" : Describe(result))}");
        Assert.True(result.IsValid, $"{name} does not match values.schema.json: {Describe(result)}");
    }

    private static EvaluationResults Evaluate(JsonObject values)
    {
        using var document = JsonDocument.Parse(values.ToJsonString());
        return Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults r) =>
        string.Join("; ", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    // "a.0.b" → values["a"][0]["b"] = value, creating missing maps
    private static void Set(JsonObject values, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        JsonNode node = values;
        foreach (var part in parts[..^1])
            node = int.TryParse(part, out var i) ? node[i]! : node[part] ??= new JsonObject(); // a map the defaults leave out
        if (int.TryParse(parts[^1], out var last)) node[last] = value;
        else node[parts[^1]] = value;
    }
}
