using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>The chart's values.schema.json (what Helm checks before rendering) against values.yaml, every example, and typical mistakes.</summary>
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
    public void The_schema_rejects_a_mistake(string path, string json)
    {
        var values = ChartValues.Defaults;
        Set(values, path, JsonNode.Parse(json));
        var result = Evaluate(values);
        output.WriteLine($"{path} = {json}: {Describe(result)}");
        Assert.False(result.IsValid, $"{path} = {json} was accepted");
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

    // "a.0.b" → values["a"][0]["b"] = value
    private static void Set(JsonObject values, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        JsonNode node = values;
        foreach (var part in parts[..^1]) node = int.TryParse(part, out var i) ? node[i]! : node[part]!;
        if (int.TryParse(parts[^1], out var last)) node[last] = value;
        else node[parts[^1]] = value;
    }
}
