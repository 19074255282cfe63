using System.Collections.Concurrent;
using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Two silos, "a" served by the first and "b" by the second: a session reaches the member in its own silo directly (no
/// Orleans message — that model's grain receives no call at all) and the other through its grain; both paths free every
/// slot on cancellation and owner release, and a local reference to a model that deactivated fails instead of hanging.
/// A token reaches the client while the member still decodes it.
/// </summary>
public sealed class LocalPathTests(LocalPathTests.TwoSilos silos) : IClassFixture<LocalPathTests.TwoSilos>
{
    [Fact]
    public async Task The_member_in_the_sessions_silo_is_called_directly_and_the_other_through_its_grain()
    {
        var before = silos.Snapshot();

        var (tokens, finished, _) = await Requests.Collect(silos.Cluster.Client, Requests.Greedy("The river ran", 8, "uniform", "a", "b"));

        Assert.Equal(8, tokens.Count);
        Assert.Equal("max_tokens", finished.Reason);
        var after = silos.Snapshot();
        var direct = new[] { "a", "b" }.Where(m => after.Direct[m] > before.Direct[m]).ToList();
        var model = Assert.Single(direct); // the session lives in one silo: its member there is direct, the other is not
        var other = model == "a" ? "b" : "a";
        Assert.True(after.Direct[model] - before.Direct[model] >= tokens.Count, $"{after.Direct[model] - before.Direct[model]} direct calls to '{model}' for {tokens.Count} tokens");
        Assert.Equal(before.GrainCalls.GetValueOrDefault(model), after.GrainCalls.GetValueOrDefault(model)); // not one message to the local model
        Assert.True(after.GrainCalls.GetValueOrDefault(other) - before.GrainCalls.GetValueOrDefault(other) >= tokens.Count, $"'{other}' was not called through its grain");
        await silos.AssertNoSlotsAsync();
    }

    [Fact]
    public async Task Cancelling_mid_generation_leaves_no_slot_on_either_path()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var request = Requests.Greedy("The river ran", 400, "uniform", "a", "b");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in silos.Cluster.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid()).Generate(request, cts.Token).WithCancellation(cts.Token))
                if (e is GeneratedToken && ++seen == 3) await cts.CancelAsync();
        });

        await silos.AssertNoSlotsAsync();
    }

    [Fact]
    public async Task An_owner_released_through_the_local_path_holds_nothing_and_is_refused_afterwards()
    {
        var local = ModelGrains.Get(silos.GrainFactory(0), "a");
        Assert.IsType<LocalModelGrain>(local);
        Assert.Equal("a", local.GetPrimaryKeyString());
        var owner = Guid.NewGuid();
        var handles = await AdmitAsync(local, owner, 2);
        await local.Edit(handles[0], SequenceEditRequest.Prefill("a prompt of the owner", 4));
        await local.Fork(handles[0]);

        Assert.Equal(3, await local.ReleaseOwner(owner));

        Assert.Equal(0, (await local.Slots()).ActiveSequences);
        var step = await Assert.ThrowsAsync<ChorusException>(() => local.Edit(handles[0], SequenceEditRequest.Append([5], 4)));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, step.Kind);
        var late = await Assert.ThrowsAsync<ChorusException>(() => AdmitAsync(local, owner, 1));
        Assert.Equal(ChorusErrorKind.Cancelled, late.Kind);
    }

    [Fact]
    public async Task A_model_elsewhere_is_reached_through_its_grain()
    {
        var remote = ModelGrains.Get(silos.GrainFactory(0), "b");

        Assert.IsNotType<LocalModelGrain>(remote);
        Assert.Equal("b", (await remote.Describe()).Id);
    }

    [Fact]
    public async Task A_local_reference_to_a_model_that_deactivated_fails_instead_of_hanging()
    {
        var local = ModelGrains.Get(silos.GrainFactory(0), "a");
        var owner = Guid.NewGuid();
        var handle = (await AdmitAsync(local, owner, 1))[0];
        await local.Edit(handle, SequenceEditRequest.Prefill("held across a deactivation", 4));
        var registry = silos.Local(0);

        await silos.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection([silos.Cluster.Silos[0].SiloAddress], TimeSpan.Zero);
        Assert.DoesNotContain("a", registry.Keys);

        // the activation that held the sequence is gone: the call reaches a fresh one through the grain, which does not know it
        var e = await Assert.ThrowsAsync<ChorusException>(() => local.Edit(handle, SequenceEditRequest.Append([5], 4)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ChorusErrorKind.FailedPrecondition, e.Kind);
        Assert.Equal(0, (await local.Slots()).ActiveSequences);
    }

    /// <summary>
    /// A plain fused step returns its token as soon as the members' advance to it is posted: the client has the token while
    /// the member decodes it, one member step earlier than when the step waited for that decode (llama.cpp's server sends
    /// a token while its next batch decodes).
    /// </summary>
    [Fact]
    public async Task A_token_reaches_the_client_while_the_member_still_decodes_it()
    {
        var request = Requests.Greedy("The river ran", 6, Chorus.Fusion.FusionMethods.Single, "a");
        var (expected, _, _) = await Requests.Collect(silos.Cluster.Client, request);
        await silos.Cluster.Client.GetGrain<IModelGrain>("a").Describe();
        var registry = silos.Local(0);
        Assert.True(registry.TryGet(registry.Keys.Single(k => k == "a" || k.StartsWith("a/", StringComparison.Ordinal)), out var model));
        var scheduler = model.Endpoint.Scheduler;

        // the model's second decode is the advance to the first token (the first is the prompt's); its thread is held right
        // after it, before that advance completes, so nothing the advance returns can reach the session while held
        using var release = new ManualResetEventSlim(false);
        var decodes = 0;
        void Hold(DecodeStep _)
        {
            if (Interlocked.Increment(ref decodes) == 2) release.Wait(TimeSpan.FromSeconds(60));
        }
        scheduler.Decoded += Hold;
        var tokens = new List<GeneratedToken>();
        GenerationFinished? finished = null;
        try
        {
            await using var events = silos.Cluster.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid()).Generate(request).GetAsyncEnumerator();
            while (tokens.Count == 0)
            {
                Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), "the stream ended before a token");
                if (events.Current is GeneratedToken { TokenId: >= 0 } t) tokens.Add(t);
            }
            // the token came before the advance was decoded (1) or while its decode held the thread (2): never after it
            Assert.InRange(Volatile.Read(ref decodes), 1, 2);
            release.Set();
            while (await events.MoveNextAsync())
            {
                if (events.Current is GeneratedToken { TokenId: >= 0 } t) tokens.Add(t);
                else if (events.Current is GenerationFinished f) finished = f;
            }
        }
        finally
        {
            scheduler.Decoded -= Hold;
            release.Set();
        }

        Assert.Equal("max_tokens", finished?.Reason);
        Assert.Equal(expected.Select(t => t.TokenId), tokens.Select(t => t.TokenId));
        await silos.AssertNoSlotsAsync();
    }

    private static async Task<SequenceHandle[]> AdmitAsync(IModelGrain grain, Guid owner, int count)
    {
        await foreach (var e in grain.Admit(owner, count))
            if (e is AdmissionGranted granted) return granted.Handles;
        throw new InvalidOperationException("admission ended without a grant");
    }

    /// <summary>The two-silo cluster, with a count of the calls each model grain received as Orleans messages.</summary>
    public sealed class TwoSilos : IAsyncLifetime
    {
        private static readonly string[][] Served = [["a"], ["b"]];

        public static ConcurrentDictionary<string, long> GrainCalls { get; } = new(StringComparer.Ordinal);

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await ClusterFixture.ForgeModelsAsync();
            var builder = new InProcessTestClusterBuilder(2);
            builder.ConfigureSilo((silo, siloBuilder) =>
            {
                var options = ClusterFixture.OptionsFor(0);
                options.Models = [.. Served[int.Parse(silo.SiloName["Silo_".Length..])].Select(id => new ModelOptions { Id = id, Path = ClusterFixture.PathOf(id), ContextSize = 512, MaxSequences = 4, Threads = 1 })];
                options.Packs = [];
                siloBuilder.AddChorus(options);
                siloBuilder.AddIncomingGrainCallFilter(context =>
                {
                    if (context.InterfaceMethod?.DeclaringType == typeof(IModelGrain)) GrainCalls.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
                    return context.Invoke();
                });
            });
            Cluster = builder.Build();
            await Cluster.DeployAsync();
            await Cluster.WaitForLivenessToStabilizeAsync();
            // as a serving silo does at start: a session finds a model's activation local only once it exists
            foreach (var model in new[] { "a", "b" }) await Cluster.Client.GetGrain<IModelGrain>(model).Describe();
        }

        public IGrainFactory GrainFactory(int silo) => Cluster.Silos[silo].ServiceProvider.GetRequiredService<IGrainFactory>();

        public LocalModels Local(int silo) => Cluster.Silos[silo].ServiceProvider.GetRequiredService<LocalModels>();

        public (Dictionary<string, long> Direct, Dictionary<string, long> GrainCalls) Snapshot() =>
            (new() { ["a"] = Local(0).DirectCalls("a"), ["b"] = Local(1).DirectCalls("b") }, new(GrainCalls));

        /// <summary>Every slot of both models is free again (the session frees them as it ends, after the client's stream has).</summary>
        public async Task AssertNoSlotsAsync()
        {
            foreach (var model in new[] { "a", "b" })
            {
                var grain = Cluster.Client.GetGrain<IModelGrain>(model);
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
                SlotUsage slots;
                while ((slots = await grain.Slots()).ActiveSequences > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
                Assert.True(slots.ActiveSequences == 0, $"model '{model}' still holds {slots.ActiveSequences} slot(s) of {string.Join(", ", slots.Sessions)}");
            }
        }

        public async Task DisposeAsync()
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}
