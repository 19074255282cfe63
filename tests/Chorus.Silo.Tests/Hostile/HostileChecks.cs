using System.Diagnostics;
using Chorus.Api;
using Chorus.Client.Cluster;
using Grpc.Core;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>Requests the hostile tests send, and the check every test ends with: slots all free, the silo still serves.</summary>
internal static class HostileChecks
{
    public const string Prompt = "Once upon a time, in a valley by the river,";
    private static readonly TimeSpan SlotsFreeWithin = TimeSpan.FromSeconds(1);

    public static GenerateRequest Generate(IEnumerable<string> models, int maxTokens = 8, string prompt = Prompt)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Prompt = prompt,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        request.Members.Models.AddRange(models);
        return request;
    }

    /// <summary>KV sequences in use, per model, as ListModels reports them.</summary>
    public static async Task<Dictionary<string, int>> ActiveSequencesAsync(ChorusApiClient client, CancellationToken cancellationToken = default) =>
        (await client.ListModelsAsync(cancellationToken)).ToDictionary(m => m.Id, m => m.ActiveSequences);

    /// <summary>
    /// Every KV slot is free within a second of the last stream ending, and the silo still serves a normal short
    /// generation (after which the slots are free again).
    /// </summary>
    public static async Task AssertSlotsFreeAndServingAsync(HostileSiloFixture fixture)
    {
        await AssertSlotsFreeWithinASecondAsync(fixture);
        var outcome = await GenerateOutcome.ReadAsync(fixture.Client.Raw, Generate(HostileSiloFixture.EightSlotModels.Take(2), maxTokens: 4),
            deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.True(outcome.Status == StatusCode.OK && outcome.Finished is not null, $"the silo no longer serves a short generation: {outcome}\n{fixture.Silo.Log}");
        Assert.Equal(4, outcome.Finished!.Usage.CompletionTokens);
        await AssertSlotsFreeWithinASecondAsync(fixture);
    }

    public static async Task AssertSlotsFreeWithinASecondAsync(HostileSiloFixture fixture)
    {
        Assert.False(fixture.Silo.HasExited, $"the silo process died:\n{fixture.Silo.Log}");
        // Slot counts have no push signal (ListModels is the only public view of them), so this one check polls it,
        // bounded by the one second within which a session's slots must be free once it has ended.
        var clock = Stopwatch.StartNew();
        var active = await ActiveSequencesAsync(fixture.Client);
        while (active.Values.Sum() > 0 && clock.Elapsed < SlotsFreeWithin)
        {
            await Task.Delay(25);
            active = await ActiveSequencesAsync(fixture.Client);
        }
        Assert.True(active.Values.Sum() == 0,
            $"{active.Values.Sum()} KV sequences still active {clock.Elapsed.TotalMilliseconds:F0} ms after the last stream ended: "
            + string.Join(", ", active.Select(p => $"{p.Key}={p.Value}")));
    }
}
