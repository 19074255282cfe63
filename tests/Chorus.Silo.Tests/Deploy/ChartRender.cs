using System.Text.Json.Nodes;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>The chart rendered by a real helm (<see cref="HelmTool"/>): <c>helm template</c> with given values.</summary>
internal static class ChartRender
{
    public const string Namespace = "chorus-test";

    /// <summary>
    /// <c>helm template RELEASE chart -f values</c> (values given whole, as a user's values file over values.yaml);
    /// helm checks values.schema.json first, then the templates' <c>fail</c>s.
    /// </summary>
    public static Rendered Template(JsonObject values, string release = "chorus") => Run(values, "template", release, ChartFiles.Directory);

    /// <summary><c>helm install --dry-run=client</c>: the manifests and NOTES.txt, with no cluster.</summary>
    public static Rendered DryRunInstall(JsonObject values, string release = "chorus") => Run(values, "install", release, ChartFiles.Directory, "--dry-run=client");

    /// <summary><c>helm lint --strict</c> with these values.</summary>
    public static Rendered Lint(JsonObject values) => Run(values, "lint", ChartFiles.Directory, "--strict");

    private static Rendered Run(JsonObject values, params string[] command)
    {
        var file = Path.Combine(Path.GetTempPath(), $"chorus-values-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, values.ToJsonString()); // JSON is YAML
        try
        {
            var (code, output, error) = HelmTool.Run([.. command, "--namespace", Namespace, "-f", file]);
            return new Rendered(code, output, error);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>What helm printed; <see cref="Objects"/> parses the manifests (a duplicate key in any map throws).</summary>
internal sealed record Rendered(int ExitCode, string Output, string Error)
{
    private List<JsonObject>? _objects;

    public bool Succeeded => ExitCode == 0;

    public List<JsonObject> Objects
    {
        get
        {
            if (!Succeeded) throw new InvalidOperationException($"helm failed ({ExitCode}): {Error}");
            if (_objects is not null) return _objects;
            var manifests = Output;
            var notes = manifests.IndexOf("\nNOTES:\n", StringComparison.Ordinal);
            if (notes >= 0) manifests = manifests[..notes];
            return _objects = YamlJson.LoadAll(manifests);
        }
    }

    public string Notes => Output[(Output.IndexOf("\nNOTES:\n", StringComparison.Ordinal) + 1)..];

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public JsonObject Single(string kind, string name) =>
        Objects.SingleOrDefault(o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name)
        ?? throw new InvalidOperationException($"no {kind} {name} in: {string.Join(", ", Objects.Select(o => $"{o["kind"]} {o["metadata"]!["name"]}"))}");

    /// <summary>The silo container of a group's StatefulSet.</summary>
    public JsonObject Silo(string statefulSet) => (JsonObject)Single("StatefulSet", statefulSet)["spec"]!["template"]!["spec"]!["containers"]![0]!;

    public JsonObject PodSpec(string statefulSet) => (JsonObject)Single("StatefulSet", statefulSet)["spec"]!["template"]!["spec"]!;
}
