using Chorus.Grains;

namespace Chorus.Client.Demo;

/// <summary>
/// The demo's models: the trained zoo (models/zoo, copied next to the tool at build time) — three domain experts
/// on one vocabulary, a wiki expert on another vocabulary, and a weak-to-strong set.
/// </summary>
internal static class DemoModels
{
    public const string PackName = "domains";
    public static readonly string[] Experts = ["wiki-expert", "shakespeare-expert", "linux-expert"];
    public const string Gpt2Expert = "wiki-expert-gpt2";
    public static readonly string[] WeakToStrong = ["general-large", "shakespeare-small-expert", "general-small"];

    /// <summary>Where the zoo is: --models-dir, CHORUS_ZOO, next to the tool, or models/zoo above the working directory.</summary>
    public static string Locate(string? requested)
    {
        var candidates = new List<string?> { requested, Environment.GetEnvironmentVariable("CHORUS_ZOO"), Path.Combine(AppContext.BaseDirectory, "zoo") };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            candidates.Add(Path.Combine(dir.FullName, "models", "zoo"));
        foreach (var c in candidates)
            if (c is not null && File.Exists(Path.Combine(c, $"{Experts[0]}.gguf"))) return c;
        throw new FileNotFoundException(
            "the trained model zoo was not found (looked for models/zoo/wiki-expert.gguf next to the tool and above the working directory); " +
            "run from the repository, pass --models-dir DIR, or rebuild it with models/build.sh");
    }

    /// <summary>Every zoo model, served by the in-process silo (one thread each: they share the machine).</summary>
    public static List<ModelOptions> Models(string zoo) =>
        Experts.Append(Gpt2Expert).Concat(WeakToStrong)
            .Select(id => new ModelOptions { Id = id, Path = Path.Combine(zoo, $"{id}.gguf"), ContextSize = 256, MaxSequences = 4, Threads = 1 })
            .ToList();

    /// <summary>The domain pack: PackLLM weights from each expert's perplexity on the prompt.</summary>
    public static PackOptions Pack() => new()
    {
        Name = PackName,
        Method = "packllm-sim",
        Parameters = new() { ["top-k"] = "0" },
        Members = Experts.Select(m => new PackMemberOptions { Model = m }).ToList(),
    };
}
