using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>The silo pods the chart renders (a real helm template): hardening, placement, extension points, settings.</summary>
public sealed class ChartPodTests(ITestOutputHelper output)
{
    [Fact]
    public void A_pod_is_hardened_by_default()
    {
        var rendered = Render("{}");
        var pod = rendered.PodSpec("chorus-experts");
        var silo = rendered.Silo("chorus-experts");
        output.WriteLine(pod["securityContext"]!.ToJsonString());
        output.WriteLine(silo["securityContext"]!.ToJsonString());
        Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
        Assert.Equal(1654, (long)pod["securityContext"]!["runAsUser"]!);      // the images' user
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        Assert.True((bool)silo["securityContext"]!["readOnlyRootFilesystem"]!);
        Assert.False((bool)silo["securityContext"]!["allowPrivilegeEscalation"]!);
        Assert.Equal(["ALL"], silo["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        // the one place the silo writes (the vocabulary cache, the runtime's diagnostics sockets) is an emptyDir
        Assert.Contains(silo["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/tmp" && (string?)m["name"] == "tmp");
        Assert.Contains(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == "tmp" && v["emptyDir"] is not null);
        // its own service account, with no API token (silos never call Kubernetes)
        Assert.Equal("chorus", (string?)pod["serviceAccountName"]);
        Assert.False((bool)pod["automountServiceAccountToken"]!);
        Assert.False((bool)rendered.Single("ServiceAccount", "chorus")["automountServiceAccountToken"]!);
    }

    [Fact]
    public void Each_group_spreads_its_pods_over_nodes_by_default()
    {
        var spread = Render("{}").PodSpec("chorus-experts")["topologySpreadConstraints"]!.AsArray().Single()!;
        Assert.Equal("kubernetes.io/hostname", (string?)spread["topologyKey"]);
        Assert.Equal(1, (long)spread["maxSkew"]!);
        Assert.Equal("ScheduleAnyway", (string?)spread["whenUnsatisfiable"]);
        Assert.Equal("experts", (string?)spread["labelSelector"]!["matchLabels"]!["chorus/group"]);

        // the 3-node GPU example: its two expert pods never share a node
        var gpu = ChartRender.Template(ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", "gpu-pack-3-nodes.yaml")));
        Assert.Equal("DoNotSchedule", (string?)gpu.PodSpec("chorus-experts")["topologySpreadConstraints"]![0]!["whenUnsatisfiable"]);
        Assert.Equal(2, (long)gpu.Single("StatefulSet", "chorus-experts")["spec"]!["replicas"]!);

        // off for one group, kept for the chart; more constraints are added after the default
        var rendered = Render("""
            { "groups": [ { "name": "a", "replicas": 2, "topologySpread": { "enabled": false }, "models": [ { "id": "a", "path": "/models/a.gguf" } ] },
                          { "name": "b", "replicas": 2, "models": [ { "id": "b", "path": "/models/b.gguf" } ] } ],
              "topologySpreadConstraints": [ { "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
                                               "labelSelector": { "matchLabels": { "chorus/silo": "true" } } } ] }
            """);
        Assert.Equal(["topology.kubernetes.io/zone"], rendered.PodSpec("chorus-a")["topologySpreadConstraints"]!.AsArray().Select(c => (string)c!["topologyKey"]!));
        Assert.Equal(["kubernetes.io/hostname", "topology.kubernetes.io/zone"], rendered.PodSpec("chorus-b")["topologySpreadConstraints"]!.AsArray().Select(c => (string)c!["topologyKey"]!));
    }

    [Fact]
    public void The_extension_points_reach_every_silo_pod()
    {
        var rendered = Render("""
            { "imagePullSecrets": [ { "name": "regcred" } ],
              "serviceAccount": { "create": true, "name": "chorus-silo", "annotations": { "iam.example/role": "r" } },
              "podAnnotations": { "team": "llm" }, "podLabels": { "cost-center": "42" },
              "priorityClassName": "inference",
              "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [ { "matchExpressions": [ { "key": "pool", "operator": "In", "values": [ "llm" ] } ] } ] } } },
              "extraEnv": [ { "name": "DOTNET_gcServer", "value": "1" } ],
              "extraEnvFrom": [ { "secretRef": { "name": "more-settings" } } ],
              "extraVolumes": [ { "name": "tls", "secret": { "secretName": "chorus-tls" } } ],
              "extraVolumeMounts": [ { "name": "tls", "mountPath": "/tls", "readOnly": true } ],
              "initContainers": [ { "name": "fetch", "image": "busybox:1.36.1", "command": [ "true" ] } ],
              "groups": [ { "name": "experts", "replicas": 1, "priorityClassName": "critical", "podLabels": { "tier": "gpu" },
                            "models": [ { "id": "a", "path": "/models/a.gguf" } ] } ] }
            """);
        var set = rendered.Single("StatefulSet", "chorus-experts");
        var pod = rendered.PodSpec("chorus-experts");
        var silo = rendered.Silo("chorus-experts");
        var meta = set["spec"]!["template"]!["metadata"]!;
        Assert.Equal("llm", (string?)meta["annotations"]!["team"]);
        Assert.Equal("42", (string?)meta["labels"]!["cost-center"]);
        Assert.Equal("gpu", (string?)meta["labels"]!["tier"]);
        Assert.Equal("critical", (string?)pod["priorityClassName"]);               // the group's, over the chart's
        Assert.Equal("regcred", (string?)pod["imagePullSecrets"]![0]!["name"]);
        Assert.Equal("chorus-silo", (string?)pod["serviceAccountName"]);
        Assert.Equal("r", (string?)rendered.Single("ServiceAccount", "chorus-silo")["metadata"]!["annotations"]!["iam.example/role"]);
        Assert.NotNull(pod["affinity"]!["nodeAffinity"]);
        Assert.Contains(silo["env"]!.AsArray(), e => (string?)e!["name"] == "DOTNET_gcServer" && (string?)e["value"] == "1");
        Assert.Equal("more-settings", (string?)silo["envFrom"]![0]!["secretRef"]!["name"]);
        Assert.Contains(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == "tls");
        Assert.Contains(silo["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/tls");
        Assert.Equal("fetch", (string?)pod["initContainers"]![0]!["name"]);
        // the selector does not move with the extra labels (a StatefulSet's selector cannot change on upgrade)
        Assert.Equal(new JsonObject { ["app.kubernetes.io/instance"] = "chorus", ["chorus/group"] = "experts" }.ToJsonString(), set["spec"]!["selector"]!["matchLabels"]!.ToJsonString());
    }

    [Fact]
    public void A_per_pod_model_volume_is_a_volume_claim_template_and_the_shared_one_a_read_only_claim()
    {
        var shared = Render("{}");
        Assert.Contains(shared.PodSpec("chorus-experts")["volumes"]!.AsArray(),
            v => (string?)v!["name"] == "models" && (string?)v["persistentVolumeClaim"]!["claimName"] == "chorus-models" && (bool)v["persistentVolumeClaim"]!["readOnly"]!);
        Assert.Null(shared.Single("StatefulSet", "chorus-experts")["spec"]!["volumeClaimTemplates"]);

        var perPod = Render("""
            { "modelVolume": { "claimName": "", "perPod": { "enabled": true, "size": "80Gi", "storageClassName": "fast",
                                                             "dataSource": { "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "models-v1" } } } }
            """);
        var set = perPod.Single("StatefulSet", "chorus-experts");
        var claim = set["spec"]!["volumeClaimTemplates"]!.AsArray().Single()!;
        output.WriteLine(claim.ToJsonString());
        Assert.Equal("models", (string?)claim["metadata"]!["name"]);
        Assert.Equal(["ReadWriteOnce"], claim["spec"]!["accessModes"]!.AsArray().Select(m => (string)m!));
        Assert.Equal("80Gi", (string?)claim["spec"]!["resources"]!["requests"]!["storage"]);
        Assert.Equal("fast", (string?)claim["spec"]!["storageClassName"]);
        Assert.Equal("models-v1", (string?)claim["spec"]!["dataSource"]!["name"]);
        Assert.DoesNotContain(perPod.PodSpec("chorus-experts")["volumes"]!.AsArray(), v => (string?)v!["name"] == "models");
        Assert.Contains(perPod.Silo("chorus-experts")["volumeMounts"]!.AsArray(), m => (string?)m!["name"] == "models" && (bool)m["readOnly"]!);
    }

    [Fact]
    public void The_service_monitor_sends_one_key_not_the_keys_file()
    {
        var endpoint = Render("""{ "serviceMonitor": { "enabled": true } }""").OfKind("ServiceMonitor").Single()["spec"]!["endpoints"]![0]!;
        Assert.Equal("chorus-api-keys", (string?)endpoint["authorization"]!["credentials"]!["name"]);
        Assert.Equal("metrics-api-key", (string?)endpoint["authorization"]!["credentials"]!["key"]);
        var own = Render("""{ "serviceMonitor": { "enabled": true, "apiKeySecret": "prometheus-key", "apiKeySecretKey": "token" } }""")
            .OfKind("ServiceMonitor").Single()["spec"]!["endpoints"]![0]!;
        Assert.Equal("prometheus-key", (string?)own["authorization"]!["credentials"]!["name"]);
        Assert.Equal("token", (string?)own["authorization"]!["credentials"]!["key"]);
    }

    [Fact]
    public void Membership_timings_log_format_and_otlp_endpoint_become_the_silo_environment()
    {
        var defaults = Environment(Render("{}"));
        Assert.DoesNotContain(defaults.Keys, k => k.StartsWith("Chorus__Cluster__Membership__", StringComparison.Ordinal)); // the silo's own defaults
        Assert.DoesNotContain("Chorus__Telemetry__OtlpEndpoint", defaults.Keys);
        Assert.Equal("simple", defaults["Logging__Console__FormatterName"]);
        Assert.Equal("true", defaults["Logging__Console__FormatterOptions__UseUtcTimestamp"]);
        Assert.Equal("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", defaults["Logging__Console__FormatterOptions__TimestampFormat"]);

        var set = Environment(Render("""
            { "cluster": { "membership": { "ProbeTimeout": "00:00:10", "NumMissedProbesLimit": 3, "NumVotesForDeathDeclaration": 2,
                                           "DeathVoteExpirationTimeout": "00:01:00", "IAmAliveTablePublishTimeout": "00:02:00",
                                           "NumProbedSilos": 3, "TableRefreshTimeout": "00:00:30" } },
              "logging": { "format": "json" }, "telemetry": { "otlpEndpoint": "http://otel-collector.monitoring:4317" } }
            """));
        foreach (var line in set) output.WriteLine($"{line.Key}={line.Value}");
        Assert.Equal("00:00:10", set["Chorus__Cluster__Membership__ProbeTimeout"]);
        Assert.Equal("3", set["Chorus__Cluster__Membership__NumMissedProbesLimit"]);
        Assert.Equal("2", set["Chorus__Cluster__Membership__NumVotesForDeathDeclaration"]);
        Assert.Equal("00:01:00", set["Chorus__Cluster__Membership__DeathVoteExpirationTimeout"]);
        Assert.Equal("00:02:00", set["Chorus__Cluster__Membership__IAmAliveTablePublishTimeout"]);
        Assert.Equal("3", set["Chorus__Cluster__Membership__NumProbedSilos"]);
        Assert.Equal("00:00:30", set["Chorus__Cluster__Membership__TableRefreshTimeout"]);
        Assert.Equal("json", set["Logging__Console__FormatterName"]);
        Assert.Equal("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", set["Logging__Console__FormatterOptions__TimestampFormat"]);
        Assert.Equal("http://otel-collector.monitoring:4317", set["Chorus__Telemetry__OtlpEndpoint"]);
    }

    [Fact]
    public void Probes_use_grpc_health_by_default_and_health_and_ready_over_http_when_asked()
    {
        var grpc = Render("{}").Silo("chorus-experts");
        Assert.Equal(5080, (long)grpc["readinessProbe"]!["grpc"]!["port"]!);
        Assert.Equal("liveness", (string?)grpc["livenessProbe"]!["grpc"]!["service"]);
        Assert.Equal(5080, (long)grpc["startupProbe"]!["grpc"]!["port"]!);

        var http = Render("""{ "probes": { "protocol": "http", "httpScheme": "HTTPS" } }""").Silo("chorus-experts");
        Assert.Equal("/ready", (string?)http["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/ready", (string?)http["startupProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/health", (string?)http["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("metrics", (string?)http["livenessProbe"]!["httpGet"]!["port"]);
        Assert.Equal("HTTPS", (string?)http["readinessProbe"]!["httpGet"]!["scheme"]);
        Assert.Null(http["readinessProbe"]!["grpc"]);
    }

    private static Rendered Render(string overrides)
    {
        var rendered = ChartRender.Template(ChartValues.Installable(overrides));
        Assert.True(rendered.Succeeded, rendered.Error);
        return rendered;
    }

    private static Dictionary<string, string?> Environment(Rendered rendered) =>
        rendered.Silo("chorus-experts")["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
}
