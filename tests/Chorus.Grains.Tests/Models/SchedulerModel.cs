using Chorus.Grains;
using Chorus.Llama;
using Chorus.Llama.Forge;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Grains.Tests.Models;

/// <summary>A small seeded synthetic model (real GGUF, real llama.cpp), forged once per test output folder.</summary>
public sealed class SchedulerModel : IDisposable
{
    private static readonly SyntheticModelSpec Spec = new("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 256, Seed: 41);

    public SchedulerModel()
    {
        LlamaBackend.Initialize();
        var directory = Path.Combine(AppContext.BaseDirectory, "test-models");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "scheduler.gguf");
        if (!File.Exists(path) || File.ReadAllText(path + ".spec") != Spec.ToString())
        {
            SyntheticModelForge.Write(Spec, path + ".partial");
            File.Move(path + ".partial", path, overwrite: true);
            File.WriteAllText(path + ".spec", Spec.ToString());
        }
        Model = LlamaModel.Load(path);
    }

    public LlamaModel Model { get; }

    /// <summary>A scheduler over a fresh runner with <paramref name="slots"/> sequences of <paramref name="context"/> tokens (prefix cache as asked).</summary>
    internal ModelScheduler Scheduler(int slots, int queueDepth = 16, int maxWaitMs = 30_000, int context = 128, bool prefixCache = false, StepOptions? steps = null) =>
        new(new ModelRunner(Model, new LlamaContextOptions { ContextSize = context, MaxSequences = slots, Threads = 1 },
                prefixCache: prefixCache ? new PrefixCacheOptions() : null), "m", queueDepth,
            TimeSpan.FromMilliseconds(maxWaitMs), NullLogger.Instance, steps);

    public int[] Tokens(string text) => Model.Vocabulary.Tokenize(text, addSpecial: true);

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SchedulerModelCollection : ICollectionFixture<SchedulerModel>
{
    public const string Name = "scheduler model";
}
