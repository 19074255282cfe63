using Chorus.Api;
using Grpc.Core;
using static Chorus.Silo.Tests.Hostile.HostileChecks;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>A member list that names one model several times: each occurrence is its own member, within limits.</summary>
[Collection(HostileSiloCollection.Name)]
public sealed class DuplicateMemberTests(HostileSiloFixture fixture) : HostileTest(fixture)
{
    private const string Model = "h1";

    [Fact]
    public async Task A_model_named_twice_generates_as_two_members()
    {
        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, Generate([Model, Model]), deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.True(outcome.Status == StatusCode.OK, $"{outcome}{Fixture.DeathNote}");
        Assert.Equal([Model, Model], outcome.Started!.Members.Select(m => m.Model));
        Assert.Equal("max_tokens", outcome.Finished!.Reason);
        Assert.Equal(8, outcome.Finished.Usage.CompletionTokens);
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    [Fact]
    public async Task More_occurrences_of_a_model_than_it_has_slots_is_invalid_and_says_so()
    {
        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, Generate(Enumerable.Repeat(Model, HostileSiloFixture.Slots + 1)),
            deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.True(outcome.Status == StatusCode.InvalidArgument, $"{outcome}{Fixture.DeathNote}");
        Assert.Contains("slot", outcome.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Model, outcome.Detail, StringComparison.Ordinal);
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    [Fact]
    public async Task A_thousand_members_is_invalid()
    {
        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, Generate(Enumerable.Repeat(Model, 1000)), deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.True(outcome.Status == StatusCode.InvalidArgument, $"{outcome}{Fixture.DeathNote}");
        Assert.Contains("16", outcome.Detail, StringComparison.Ordinal); // the limit, Chorus:Sessions:MaxMembers
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    [Fact]
    public async Task Score_with_a_model_named_twice_scores_both_occurrences()
    {
        var request = new ScoreRequest
        {
            Members = new Members { Models = { Model, Model } }, Method = "uniform",
            Text = "The river runs through the valley, past the mill and the old stone bridge, and on to the sea.",
        };

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reply = await ScoreAsync(request, timeout.Token);

        Assert.Equal([Model, Model], reply.Members.Select(m => m.Model));
        Assert.True(reply.Tokens > 0, $"{reply.Tokens} tokens scored");
        // two copies of one model: the uniform mixture is that model, so fused and member perplexities agree
        Assert.Equal(reply.Members[0].Perplexity, reply.Perplexity, reply.Perplexity * 1e-4);
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    private async Task<ScoreReply> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await Fixture.Client.ScoreAsync(request, cancellationToken);
        }
        catch (RpcException e)
        {
            Assert.Fail($"Score failed: {e.StatusCode} '{e.Status.Detail}'{Fixture.DeathNote}");
            throw;
        }
    }
}
