namespace Chorus.Silo.Tests.Deploy;

/// <summary>The Helm chart in the repository (deploy/helm/chorus), found from the test output folder upwards.</summary>
internal static class ChartFiles
{
    public static string Directory { get; } = Find();

    public static string ValuesFile => Path.Combine(Directory, "values.yaml");
    public static string SchemaFile => Path.Combine(Directory, "values.schema.json");
    public static string Template(string name) => Path.Combine(Directory, "templates", name);

    public static IEnumerable<string> Examples => System.IO.Directory.GetFiles(Path.Combine(Directory, "examples"), "*.yaml").Order(StringComparer.Ordinal);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var chart = Path.Combine(dir.FullName, "deploy", "helm", "chorus");
            if (File.Exists(Path.Combine(chart, "Chart.yaml"))) return chart;
        }
        throw new DirectoryNotFoundException($"deploy/helm/chorus not found above {AppContext.BaseDirectory}");
    }
}
