using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// The chart rendered by a real helm (helm template, helm lint --strict): what every object carries, how names are
/// cut, and the combinations the templates refuse with <c>fail</c> (the schema cannot see them).
/// </summary>
public sealed class ChartRenderTests(ITestOutputHelper output)
{
    public static TheoryData<string> Examples() => [.. ChartFiles.Examples.Select(e => Path.GetFileName(e))];

    private static readonly string[] StandardLabels =
    [
        "helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
        "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "app.kubernetes.io/component",
    ];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_lints_and_renders_objects_with_the_standard_labels(string example)
    {
        var values = ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", example));
        var lint = ChartRender.Lint(values);
        output.WriteLine(lint.Output + lint.Error);
        Assert.True(lint.Succeeded, $"helm lint --strict: {lint.Output}{lint.Error}");
        var rendered = ChartRender.Template(values);
        Assert.True(rendered.Succeeded, rendered.Error);
        output.WriteLine(string.Join("\n", rendered.Objects.Select(o => $"{o["kind"]} {o["metadata"]!["name"]}")));
        foreach (var o in rendered.Objects)
        {
            var labels = o["metadata"]!["labels"] as JsonObject;
            var what = $"{o["kind"]} {o["metadata"]!["name"]}";
            Assert.NotNull(labels);
            foreach (var label in StandardLabels)
                Assert.True(labels.ContainsKey(label), $"{what} has no label {label}");
            Assert.Equal("chorus-0.3.0", (string?)labels["helm.sh/chart"]);
            Assert.Equal("chorus", (string?)labels["app.kubernetes.io/instance"]);
        }
        // a pod's labels as well (what kubectl get pods -l selects on)
        foreach (var set in rendered.OfKind("StatefulSet").Concat(rendered.OfKind("Deployment")))
        {
            var podLabels = (JsonObject)set["spec"]!["template"]!["metadata"]!["labels"]!;
            foreach (var label in StandardLabels) Assert.True(podLabels.ContainsKey(label), $"the pods of {set["metadata"]!["name"]} have no label {label}");
        }
    }

    [Fact]
    public void Names_stay_within_63_characters_and_a_stateful_set_within_52_keeping_the_group_name()
    {
        var release = new string('r', 53); // helm's longest release name
        var group = "a-group-name-of-forty-characters-exactly";
        Assert.Equal(40, group.Length);
        var values = ChartValues.Installable($$"""
            { "groups": [
                { "name": "{{group}}", "replicas": 1, "models": [ { "id": "a", "path": "/models/a.gguf" } ] },
                { "name": "b", "replicas": 1, "models": [ { "id": "b", "path": "/models/b.gguf" } ] } ],
              "membership": { "connectionStringSecret": "", "inChartRedis": { "enabled": true } },
              "serviceMonitor": { "enabled": true, "apiKeySecretKey": "metrics-api-key" } }
            """);
        var rendered = ChartRender.Template(values, release);
        Assert.True(rendered.Succeeded, rendered.Error);
        foreach (var o in rendered.Objects)
        {
            var name = (string)o["metadata"]!["name"]!;
            output.WriteLine($"{o["kind"]} {name} ({name.Length})");
            Assert.InRange(name.Length, 1, o["kind"]!.ToString() == "StatefulSet" ? 52 : 63);
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
        }
        var sets = rendered.OfKind("StatefulSet").Select(s => (string)s["metadata"]!["name"]!).ToList();
        Assert.Contains(sets, s => s.EndsWith("-" + group, StringComparison.Ordinal));
        Assert.Contains(sets, s => s.EndsWith("-b", StringComparison.Ordinal));
        Assert.All(rendered.OfKind("Service"), s => Assert.True(((string)s["metadata"]!["name"]!).Length <= 63));
    }

    [Fact]
    public void A_release_named_after_the_chart_keeps_its_short_names()
    {
        var rendered = ChartRender.Template(ChartValues.Installable());
        Assert.True(rendered.Succeeded, rendered.Error);
        rendered.Single("Service", "chorus-api");
        rendered.Single("StatefulSet", "chorus-experts");
        var other = ChartRender.Template(ChartValues.Installable(), "prod");
        other.Single("Service", "prod-chorus-api");
        other.Single("StatefulSet", "prod-chorus-experts");
        var overridden = ChartRender.Template(ChartValues.Installable("""{ "fullnameOverride": "llm" }"""), "prod");
        overridden.Single("StatefulSet", "llm-experts");
    }

    [Theory]
    [InlineData("a group named api", """{ "groups": [ { "name": "api", "replicas": 1, "models": [ { "id": "a", "path": "/models/a.gguf" } ] } ] }""", "named like the client Service")]
    [InlineData("a group named redis beside the in-chart Redis", """{ "groups": [ { "name": "redis", "replicas": 1, "models": [ { "id": "a", "path": "/models/a.gguf" } ] } ], "membership": { "connectionStringSecret": "", "inChartRedis": { "enabled": true } } }""", "named like the in-chart Redis")]
    [InlineData("two groups of one name", """{ "groups": [ { "name": "x", "replicas": 1, "models": [ { "id": "a", "path": "/models/a.gguf" } ] }, { "name": "x", "replicas": 1, "models": [ { "id": "b", "path": "/models/b.gguf" } ] } ] }""", "two groups would be the Service chorus-x")]
    [InlineData("gpus and a different nvidia.com/gpu limit", """{ "groups": [ { "name": "g", "replicas": 1, "gpus": 2, "resources": { "limits": { "nvidia.com/gpu": 1 } }, "models": [ { "id": "a", "path": "/models/a.gguf" } ] } ] }""", "resources.limits sets nvidia.com/gpu")]
    [InlineData("the whole keys file as the ServiceMonitor's token", """{ "serviceMonitor": { "enabled": true, "apiKeySecretKey": "api-keys" } }""", "may hold several keys")]
    [InlineData("no model volume", """{ "modelVolume": { "claimName": "" } }""", "no model volume")]
    [InlineData("neither API keys nor anonymous", """{ "security": { "apiKeysSecret": "" } }""", "security.apiKeysSecret")]
    [InlineData("no membership store", """{ "membership": { "connectionStringSecret": "" } }""", "no membership store")]
    [InlineData("the in-chart Redis with adonet", """{ "membership": { "provider": "adonet", "connectionStringSecret": "", "inChartRedis": { "enabled": true } } }""", "needs membership.provider=redis")]
    [InlineData("a grace period within the drain", """{ "cluster": { "drainSeconds": 60, "terminationGracePeriodSeconds": 60 } }""", "must exceed cluster.drainSeconds + 10")]
    [InlineData("a grace period within the bounded stop", """{ "cluster": { "drainSeconds": 60, "terminationGracePeriodSeconds": 70 } }""", "must exceed cluster.drainSeconds + 10")]
    public void The_templates_refuse_a_combination(string what, string overrides, string message)
    {
        var rendered = ChartRender.Template(ChartValues.Installable(overrides));
        output.WriteLine($"{what}: {rendered.Error.Trim()}");
        Assert.False(rendered.Succeeded, $"{what} rendered");
        Assert.Contains(message, rendered.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpus_with_the_same_nvidia_gpu_limit_render_the_key_once()
    {
        var rendered = ChartRender.Template(ChartValues.Installable("""
            { "groups": [ { "name": "g", "replicas": 1, "gpus": 1, "resources": { "limits": { "nvidia.com/gpu": 1, "memory": "8Gi" } },
                            "models": [ { "id": "a", "path": "/models/a.gguf", "gpu": 0 } ] } ] }
            """));
        Assert.True(rendered.Succeeded, rendered.Error);
        // a duplicate key would have thrown while parsing; the limit is there once, beside the group's own
        var limits = (JsonObject)rendered.Silo("chorus-g")["resources"]!["limits"]!;
        Assert.Equal(1, (long)limits["nvidia.com/gpu"]!);
        Assert.Equal("8Gi", (string?)limits["memory"]);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(rendered.Output, "nvidia.com/gpu: 1"));
    }

    [Fact]
    public void A_duplicate_key_in_the_output_would_be_caught() =>
        Assert.ThrowsAny<Exception>(() => YamlJson.LoadAll("limits:\n  nvidia.com/gpu: 1\n  nvidia.com/gpu: 1\n"));

    [Fact]
    public void The_chart_works_as_a_subchart_with_global_values()
    {
        var values = ChartValues.Installable("""{ "global": { "imageRegistry": "registry.example", "storageClass": "fast" } }""");
        var rendered = ChartRender.Template(values);
        Assert.True(rendered.Succeeded, rendered.Error);
        // and global does not open the root to typos
        var typo = ChartRender.Template(ChartValues.Installable("""{ "global": {}, "extraEnvs": [] }"""));
        Assert.False(typo.Succeeded);
        Assert.Contains("extraEnvs", typo.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_notes_say_how_to_reach_the_api_and_warn_about_trials()
    {
        var installed = ChartRender.DryRunInstall(ChartValues.With(Path.Combine(ChartFiles.Directory, "examples", "cpu-trial.yaml")));
        Assert.True(installed.Succeeded, installed.Error);
        output.WriteLine(installed.Notes);
        Assert.Contains("kubectl port-forward -n chorus-test svc/chorus-api 5080:5080 8080:8080", installed.Notes, StringComparison.Ordinal);
        Assert.Contains("chorus-trial: 2 pod(s), models wiki, code", installed.Notes, StringComparison.Ordinal);
        Assert.Contains("allowAnonymous is on", installed.Notes, StringComparison.Ordinal);
        Assert.Contains("in-chart Redis is for trials", installed.Notes, StringComparison.Ordinal);
        Assert.Contains("ReadOnlyMany or\nReadWriteMany", installed.Notes, StringComparison.Ordinal);
    }
}
