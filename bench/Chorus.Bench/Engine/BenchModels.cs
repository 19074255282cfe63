using Chorus.Llama.Forge;

namespace Chorus.Bench.Engine;

/// <summary>The synthetic models the engine benchmark runs on (forged once into the output folder).</summary>
public static class BenchModels
{
    /// <summary>~20M parameters: llama-spm vocabulary, 256 wide, 4 layers.</summary>
    public static readonly SyntheticModelSpec Small = new("llama-spm", Layers: 4, Embedding: 256, Heads: 8, KvHeads: 8, FeedForward: 704, ContextLength: 2048, Seed: 101);

    /// <summary>~150M parameters: llama-spm vocabulary, 768 wide, 12 layers.</summary>
    public static readonly SyntheticModelSpec Large = new("llama-spm", Layers: 12, Embedding: 768, Heads: 12, KvHeads: 12, FeedForward: 2560, ContextLength: 2048, Seed: 102);

    public static SyntheticModelSpec Get(string size) => size switch
    {
        "small" => Small,
        "large" => Large,
        _ => throw new ArgumentException($"unknown benchmark model size '{size}' (small, large)"),
    };

    public static Task<string> EnsureAsync(string size, string directory, ulong seedOffset = 0)
    {
        var spec = Get(size) with { Seed = Get(size).Seed + seedOffset };
        var path = Path.Combine(directory, seedOffset == 0 ? $"bench-{size}.gguf" : $"bench-{size}-{seedOffset}.gguf");
        var stamp = path + ".spec";
        if (!File.Exists(path) || !File.Exists(stamp) || File.ReadAllText(stamp) != spec.ToString())
        {
            Console.Error.WriteLine($"forging {size} benchmark model …");
            SyntheticModelForge.Write(spec, path);
            File.WriteAllText(stamp, spec.ToString());
        }
        return Task.FromResult(path);
    }
}
