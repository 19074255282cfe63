namespace Chorus.Llama.Tests.Training;

/// <summary>The public corpora (data/corpora of this repository, or CHORUS_CORPORA).</summary>
internal static class Corpora
{
    public static readonly string[] Domains = ["wiki", "shakespeare", "linux"];

    public static string Directory { get; } = Find();

    /// <summary>The committed model zoo (models/zoo of this repository).</summary>
    public static string Zoo { get; } = FindZoo();

    public static string TestSplit(string domain) => Path.Combine(Directory, domain, "test.txt");

    public static string TrainSplit(string domain) => Path.Combine(Directory, domain, "train.txt");

    private static string FindZoo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var zoo = Path.Combine(dir.FullName, "models", "zoo");
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")) && System.IO.Directory.Exists(zoo)) return zoo;
        }
        throw new DirectoryNotFoundException("models/zoo not found above the test binaries");
    }

    private static string Find()
    {
        var custom = Environment.GetEnvironmentVariable("CHORUS_CORPORA");
        if (!string.IsNullOrWhiteSpace(custom)) return custom;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) continue;
            var committed = Path.Combine(dir.FullName, "data", "corpora");
            if (System.IO.Directory.Exists(committed)) return committed;
        }
        throw new DirectoryNotFoundException("data/corpora not found above the test binaries: set CHORUS_CORPORA to the folder holding wiki/, shakespeare/ and linux/");
    }
}
