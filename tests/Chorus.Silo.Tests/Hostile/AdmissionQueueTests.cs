using Grpc.Core;
using static Chorus.Silo.Tests.Hostile.HostileChecks;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>More concurrent sessions than slots: the extra ones wait in the model's FIFO queue (Queued events), none fails.</summary>
[Collection(HostileSiloCollection.Name)]
public sealed class AdmissionQueueTests(HostileSiloFixture fixture) : HostileTest(fixture)
{
    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public async Task Concurrent_generations_beyond_the_slots_queue_and_all_finish(int sessions)
    {
        var request = Generate(HostileSiloFixture.EightSlotModels, maxTokens: 8);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, sessions).Select(_ =>
            GenerateOutcome.ReadAsync(Fixture.Client.Raw, request, deadline: DateTime.UtcNow.AddSeconds(60))));

        var failed = outcomes.Where(o => o.Status != StatusCode.OK || o.Finished is null).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {sessions} sessions did not finish: "
            + string.Join("; ", failed.GroupBy(o => o.Status).Select(g => $"{g.Count()} × {g.First()}")) + Fixture.DeathNote);
        Assert.All(outcomes, o => Assert.Equal(8, o.Finished!.Usage.CompletionTokens));
        Assert.Contains(outcomes, o => o.SawQueued);
        // a queued session hears where it stands before it starts, and only then gets Started
        Assert.All(outcomes.Where(o => o.SawQueued), o =>
        {
            var queued = o.Events.TakeWhile(e => e.Started is null).Select(e => e.Queued).ToList();
            Assert.NotEmpty(queued);
            Assert.All(queued, q => Assert.NotNull(q));
            Assert.All(queued, q => Assert.InRange(q.Position, 1, q.QueueLength));
            Assert.Contains(queued[^1].Model, HostileSiloFixture.EightSlotModels);
            Assert.NotNull(o.Started);
        });
        await AssertSlotsFreeAndServingAsync(Fixture);
    }
}
