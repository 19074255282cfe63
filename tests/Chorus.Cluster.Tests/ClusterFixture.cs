using Chorus.Grains;
using Chorus.Llama;
using Chorus.Llama.Forge;
using Orleans.TestingHost;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Three in-process silos, each serving different synthetic models: silo 0 serves "a", silo 1 serves "b" and the
/// gpt-2 model "g", silo 2 serves "c". Model "ghost" is known (configured in a pack) but no silo serves it.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, SyntheticModelSpec> Specs = new()
    {
        ["a"] = new("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: 21),
        ["b"] = new("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: 22),
        ["c"] = new("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: 23),
        ["g"] = new("gpt-2", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 4, FeedForward: 192, ContextLength: 1024, Seed: 24),
    };

    public static readonly string[][] ServedBySilo = [["a"], ["b", "g"], ["c"]];

    public static string ModelDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "cluster-models");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public static string PathOf(string id) => Path.Combine(ModelDirectory, $"{id}.gguf");

    public static ChorusOptions OptionsFor(int silo) => new()
    {
        Models = ServedBySilo[silo].Select(id => new ModelOptions { Id = id, Path = PathOf(id), ContextSize = 512, MaxSequences = 20, Threads = 1 }).ToList(),
        Packs = [new PackOptions { Name = "trio", Method = "uniform", Members = [new() { Model = "a" }, new() { Model = "b" }, new() { Model = "c" }] },
                 new PackOptions { Name = "haunted", Members = [new() { Model = "a" }, new() { Model = "ghost" }] }],
        Sessions = new SessionOptions { IdleTimeout = TimeSpan.FromMinutes(5), SpeculationCostCheck = false }, // pipelining tests count rounds: not load-dependent
        CacheDirectory = Path.Combine(AppContext.BaseDirectory, "cluster-cache", $"silo{silo}"),
    };

    /// <summary>Forges the synthetic models once per test run (seeded: the same files every time).</summary>
    public static Task ForgeModelsAsync()
    {
        LlamaBackend.Initialize();
        lock (ForgeGate)
        {
            Directory.CreateDirectory(ModelDirectory);
            foreach (var (id, spec) in Specs)
                if (!File.Exists(PathOf(id))) SyntheticModelForge.Write(spec, PathOf(id));
        }
        return Task.CompletedTask;
    }

    private static readonly Lock ForgeGate = new();

    public async Task InitializeAsync()
    {
        await ForgeModelsAsync();

        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((silo, siloBuilder) => siloBuilder.AddChorus(OptionsFor(SiloIndex(silo.SiloName))));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    /// <summary>The silo address that serves a model, from the test cluster's own handles.</summary>
    public string SiloOf(string model)
    {
        for (var i = 0; i < Cluster.Silos.Count; i++)
            if (ServedBySilo[SiloIndex(Cluster.Silos[i].Name)].Contains(model)) return Cluster.Silos[i].SiloAddress.ToString();
        throw new ArgumentException(model);
    }

    // The test cluster names its silos Silo_0, Silo_1, …
    private static int SiloIndex(string name) =>
        name.StartsWith("Silo_", StringComparison.Ordinal) ? int.Parse(name["Silo_".Length..]) % ServedBySilo.Length
        : throw new InvalidOperationException($"unexpected test silo name '{name}'");

    public async Task DisposeAsync()
    {
        if (Cluster is null) return;
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "three-silo cluster";
}
