using Chorus.Grains;
using Chorus.Llama.Forge;

namespace Chorus.Client.Demo;

/// <summary>
/// The demo's models: three synthetic llama-spm models (different seeds) fused as the pack "demo", and one gpt-2
/// model for a mixed-vocabulary run. Forged once into a cache folder; a half-written file never counts as cached.
/// </summary>
internal static class DemoModels
{
    public const string PackName = "demo";
    public static readonly string[] PackMembers = ["spm-a", "spm-b", "spm-c"];
    public const string Gpt2 = "gpt2-d";

    private static readonly (string Id, SyntheticModelSpec Spec)[] Specs =
    [
        ("spm-a", Spm(seed: 7)),
        ("spm-b", Spm(seed: 8)),
        ("spm-c", Spm(seed: 9)),
        (Gpt2, new SyntheticModelSpec("gpt-2", Layers: 2, Embedding: 128, Heads: 4, KvHeads: 4, FeedForward: 352, ContextLength: 1024, Seed: 10)),
    ];

    public static string DefaultDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "chorus", "demo");

    // One thread per model: four models share the machine, and ggml threads spin while they wait.
    /// <summary>Forges whatever is missing (or was forged from another spec) and returns the models to serve.</summary>
    public static List<ModelOptions> Ensure(string directory, TextWriter progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var models = new List<ModelOptions>();
        foreach (var (id, spec) in Specs)
        {
            var path = Path.Combine(directory, $"{id}.gguf");
            var stamp = path + ".spec";
            var key = spec.ToString();
            if (!File.Exists(path) || !File.Exists(stamp) || File.ReadAllText(stamp) != key)
            {
                progress.WriteLine($"forging demo model {id} ({spec.Vocabulary}, seed {spec.Seed}) …");
                var partial = path + ".partial";
                SyntheticModelForge.Write(spec, partial, cancellationToken: cancellationToken);
                File.Move(partial, path, overwrite: true);
                File.WriteAllText(stamp, key);
            }
            models.Add(new ModelOptions { Id = id, Path = path, ContextSize = 512, MaxSequences = 4, Threads = 1 });
        }
        return models;
    }

    /// <summary>The pack the demo fuses: PackLLM's similarity weights from each member's perplexity on the prompt.</summary>
    public static PackOptions Pack() => new()
    {
        Name = PackName,
        Method = "packllm-sim",
        Members = PackMembers.Select(m => new PackMemberOptions { Model = m }).ToList(),
    };

    private static SyntheticModelSpec Spm(ulong seed) =>
        new("llama-spm", Layers: 2, Embedding: 128, Heads: 4, KvHeads: 4, FeedForward: 352, ContextLength: 1024, Seed: seed);
}
