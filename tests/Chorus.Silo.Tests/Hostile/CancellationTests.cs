using Chorus.Api;
using Grpc.Core;
using static Chorus.Silo.Tests.Hostile.HostileChecks;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>Hundreds of streams, each cancelled at a random phase: every slot is free within a second of the last one.</summary>
[Collection(HostileSiloCollection.Name)]
public sealed class CancellationTests(HostileSiloFixture fixture) : HostileTest(fixture)
{
    private const int Streams = 300;
    private const int Concurrency = 24; // 3 members × 24 sessions on 8-slot models: two thirds of them queue
    private const int MaxTokens = 12;
    private const int Seed = 20261124;

    private enum Phase { BeforeFirstEvent, WhileQueued, AfterStarted, AfterTokens, CallDeadline, RequestDeadline }

    private sealed record Plan(int Index, Phase Phase, int Tokens, int DelayMs);

    [Fact]
    public async Task Streams_cancelled_at_every_phase_leave_no_slot_taken()
    {
        var random = new Random(Seed);
        var plans = Enumerable.Range(0, Streams)
            .Select(i => new Plan(i, (Phase)random.Next(Enum.GetValues<Phase>().Length), random.Next(1, MaxTokens), random.Next(0, 40)))
            .ToList();
        var outcomes = new (Plan Plan, GenerateOutcome Outcome, bool CancelledWhileQueued)[Streams];

        await Parallel.ForEachAsync(plans, new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
            async (plan, _) => outcomes[plan.Index] = await RunAsync(plan));

        var wrong = outcomes.Where(o => !EndedAsExpected(o.Outcome) && !ResetPastCallDeadline(o.Plan, o.Outcome)).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Streams} streams (seed {Seed}) ended otherwise than finished, cancelled or past their deadline: "
            + string.Join("; ", wrong.GroupBy(o => (o.Plan.Phase, o.Outcome.Status)).Select(g => $"{g.Key.Phase}: {g.Count()} × {g.First().Outcome}")) + Fixture.DeathNote);
        Assert.Contains(outcomes, o => o.CancelledWhileQueued);
        Assert.Contains(outcomes, o => o.Plan.Phase == Phase.AfterTokens && o.Outcome.Status == StatusCode.Cancelled && o.Outcome.Tokens > 0);
        Assert.Contains(outcomes, o => o.Outcome.Status == StatusCode.DeadlineExceeded);
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    private static bool EndedAsExpected(GenerateOutcome o) =>
        o.Status is StatusCode.Cancelled or StatusCode.DeadlineExceeded || (o.Status == StatusCode.OK && o.Finished is not null);

    // Both ends enforce a call deadline. When it passes, grpc-dotnet's server sends DeadlineExceeded trailers and resets
    // the stream; with an event write in flight at that moment the client can read the reset ("The request was aborted",
    // Unavailable) before its own deadline timer fires (about 1 run in 4 here, before and after this day's changes).
    // Such a stream still ended because its deadline passed: only that case, and only once the deadline had passed.
    private static bool ResetPastCallDeadline(Plan plan, GenerateOutcome o) =>
        plan.Phase == Phase.CallDeadline && o.Status == StatusCode.Unavailable
        && o.Detail.Contains("The request was aborted", StringComparison.Ordinal) && o.Elapsed.TotalMilliseconds >= plan.DelayMs;

    private async Task<(Plan, GenerateOutcome, bool)> RunAsync(Plan plan)
    {
        var request = Generate(HostileSiloFixture.EightSlotModels, MaxTokens);
        using var cancellation = new CancellationTokenSource();
        DateTime? deadline = DateTime.UtcNow.AddSeconds(60);
        var tokens = 0;
        var cancelledWhileQueued = false;
        Func<GenerateEvent, bool>? cancelWhen = null;
        switch (plan.Phase)
        {
            case Phase.BeforeFirstEvent: // somewhere in admission or prefill, at the first event at the latest
                cancellation.CancelAfter(plan.DelayMs);
                cancelWhen = _ => true;
                break;
            case Phase.WhileQueued: // at the first Queued event, or at Started for a stream that never queued
                cancelWhen = e => (cancelledWhileQueued = e.Queued is not null) || e.Started is not null;
                break;
            case Phase.AfterStarted:
                cancelWhen = e => e.Started is not null;
                break;
            case Phase.AfterTokens:
                cancelWhen = e => e.Token is not null && ++tokens >= plan.Tokens;
                break;
            case Phase.CallDeadline:
                deadline = DateTime.UtcNow.AddMilliseconds(1 + plan.DelayMs);
                break;
            case Phase.RequestDeadline:
                request.Limits.DeadlineMs = 1 + plan.DelayMs;
                break;
        }
        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, request, cancellation, deadline, cancelWhen);
        return (plan, outcome, cancelledWhileQueued && outcome.Status == StatusCode.Cancelled);
    }
}
