using System.Collections.Concurrent;
using Chorus.Llama.Forge;

namespace Chorus.Llama.Tests.Forge;

/// <summary>Small synthetic models forged once per test run under bin/.../models and shared by the tests that read them.</summary>
internal static class ForgedTestModels
{
    private static readonly ConcurrentDictionary<SyntheticModelSpec, Lazy<string>> Forged = new();

    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>A tiny model: 2 layers, embedding 64, 4 heads, feed-forward 128.</summary>
    public static SyntheticModelSpec Small(string vocabulary, SyntheticWeightType type, ulong seed = 7, int kvHeads = 4) =>
        new(vocabulary, Layers: 2, Embedding: 64, Heads: 4, KvHeads: kvHeads, FeedForward: 128, ContextLength: 256, Type: type, Seed: seed);

    /// <summary>The path of the forged model (forged on first use; concurrent callers wait for the same forge).</summary>
    public static string PathOf(SyntheticModelSpec spec) =>
        Forged.GetOrAdd(spec, s => new Lazy<string>(() => Forge(s))).Value;

    private static string Forge(SyntheticModelSpec spec)
    {
        var name = $"{spec.Vocabulary}-{spec.Layers}x{spec.Embedding}-h{spec.Heads}kv{spec.KvHeads}-ff{spec.FeedForward}-{spec.Type.ToText()}-s{spec.Seed}-{spec.LogitStd}.gguf";
        var path = Path.Combine(Folder, name);
        SyntheticModelForge.Write(spec, path);
        return path;
    }
}
