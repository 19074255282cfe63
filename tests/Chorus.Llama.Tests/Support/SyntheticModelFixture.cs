using Chorus.Llama.Forge;

namespace Chorus.Llama.Tests;

/// <summary>Synthetic models forged once per test run (seeded: the same bytes every run) and loaded through the real engine.</summary>
public sealed class SyntheticModelFixture : IDisposable
{
    public static readonly SyntheticModelSpec SpmSpec = new("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: 11);
    public static readonly SyntheticModelSpec Gpt2Spec = new("gpt-2", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 4, FeedForward: 192, ContextLength: 1024, Seed: 12);
    public static readonly SyntheticModelSpec MediumSpec = new("llama-spm", Layers: 4, Embedding: 256, Heads: 8, KvHeads: 8, FeedForward: 704, ContextLength: 1024, Seed: 13);

    public SyntheticModelFixture()
    {
        LlamaBackend.Initialize();
        SpmPath = Ensure("spm-small.gguf", SpmSpec);
        Gpt2Path = Ensure("gpt2-small.gguf", Gpt2Spec);
        Spm = LlamaModel.Load(SpmPath);
        Gpt2 = LlamaModel.Load(Gpt2Path);
        _medium = new Lazy<LlamaModel>(() => LlamaModel.Load(Ensure("spm-medium.gguf", MediumSpec)));
    }

    private readonly Lazy<LlamaModel> _medium;

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "test-models");

    public string SpmPath { get; }
    public string Gpt2Path { get; }
    public LlamaModel Spm { get; }
    public LlamaModel Gpt2 { get; }

    /// <summary>A ~20M-parameter model, slow enough to cancel mid-decode.</summary>
    public LlamaModel Medium => _medium.Value;

    /// <summary>Forges a model into the test-model folder unless this run already did.</summary>
    public static string Ensure(string fileName, SyntheticModelSpec spec)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, fileName);
        var stamp = path + ".spec";
        var key = spec.ToString();
        if (!File.Exists(path) || !File.Exists(stamp) || File.ReadAllText(stamp) != key)
        {
            SyntheticModelForge.Write(spec, path);
            File.WriteAllText(stamp, key);
        }
        return path;
    }

    public void Dispose()
    {
        Spm.Dispose();
        Gpt2.Dispose();
        if (_medium.IsValueCreated) _medium.Value.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SyntheticModelCollection : ICollectionFixture<SyntheticModelFixture>
{
    public const string Name = "synthetic models";
}
