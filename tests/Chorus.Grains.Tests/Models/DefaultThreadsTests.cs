using Chorus.Grains;
using Chorus.Llama;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Chorus.Grains.Tests.Models;

/// <summary>
/// Decode threads per replica when <c>Threads</c> is 0: the cores shared evenly among the silo's model replicas, one
/// core left to the silo at a raised priority, never fewer than one; an explicit count is kept.
/// </summary>
[Collection(SchedulerModelCollection.Name)]
public sealed class DefaultThreadsTests(SchedulerModel model)
{
    private static readonly int Cores = Environment.ProcessorCount;

    [Fact]
    public void One_model_at_normal_priority_decodes_on_every_core() =>
        Assert.Equal(Cores, ThreadsOf("a", Model("a")));

    [Fact]
    public void The_cores_are_shared_among_every_replica_of_every_model() =>
        Assert.Equal(Math.Max(1, Cores / 3), ThreadsOf("a", Model("a"), Model("b", replicas: 2)));

    [Fact]
    public void A_raised_priority_leaves_the_silo_a_core() =>
        Assert.Equal(Math.Max(1, Cores - 1), ThreadsOf("a", Model("a", priority: DecodePriority.Medium)));

    [Fact]
    public void An_explicit_thread_count_is_kept() =>
        Assert.Equal(1, ThreadsOf("a", Model("a", threads: 1), Model("b")));

    private ModelOptions Model(string id, int replicas = 1, int threads = 0, DecodePriority priority = DecodePriority.Normal) => new()
    {
        Id = id, Path = model.Model.FilePath, Replicas = replicas, Threads = threads, ThreadPriority = priority, ContextSize = 64, MaxSequences = 1,
    };

    private static int ThreadsOf(string id, params ModelOptions[] models)
    {
        using var host = new ModelHost(Options.Create(new ChorusOptions { Models = [.. models] }), NullLoggerFactory.Instance);
        using var runner = host.CreateRunner(id);
        return runner.Context.Threads;
    }
}
