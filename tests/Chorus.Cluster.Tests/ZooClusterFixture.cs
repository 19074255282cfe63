using Chorus.Grains;
using Chorus.Llama;
using Orleans.TestingHost;

namespace Chorus.Cluster.Tests;

/// <summary>One in-process silo serving trained zoo models of different sizes and both vocabularies (models/zoo).</summary>
public sealed class ZooClusterFixture : IAsyncLifetime
{
    // 3 × 192 (spm8k), 2 × 128 (spm8k, three domains), 2 × 64 (spm8k), 2 × 128 (gpt2-8k)
    // …and the drafter distilled from general-large + wiki-expert (models/zoo/drafters, 2 × 64)
    public static readonly string[] Served = ["general-large", "wiki-expert", "shakespeare-expert", "linux-expert", "general-small", "wiki-expert-gpt2", Distilled];

    public const string Distilled = "large-wiki-drafter";

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public static string Zoo { get; } = FindZoo();

    public async Task InitializeAsync()
    {
        LlamaBackend.Initialize();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, siloBuilder) => siloBuilder.AddChorus(new ChorusOptions
        {
            Models = Served.Select(id => new ModelOptions { Id = id, Path = Path.Combine(Zoo, id == Distilled ? "drafters" : "", id + ".gguf"), ContextSize = 256, MaxSequences = 8, Threads = 1 }).ToList(),
            Sessions = new SessionOptions { IdleTimeout = TimeSpan.FromMinutes(5), SpeculationCostCheck = false }, // pipelining tests count rounds: not load-dependent
            CacheDirectory = Path.Combine(AppContext.BaseDirectory, "zoo-cluster-cache"),
        }));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is null) return;
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private static string FindZoo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var zoo = Path.Combine(dir.FullName, "models", "zoo");
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")) && Directory.Exists(zoo)) return zoo;
        }
        throw new DirectoryNotFoundException("models/zoo not found above the test output folder");
    }
}

[CollectionDefinition(Name)]
public sealed class ZooClusterCollection : ICollectionFixture<ZooClusterFixture>
{
    public const string Name = "zoo cluster";
}
