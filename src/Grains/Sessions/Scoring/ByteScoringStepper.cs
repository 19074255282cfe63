using System.Diagnostics;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// Teacher forcing of method <c>byte</c> for the <see cref="GenerationLoop"/>: each step scores the text's next byte by
/// the members' weighted next-byte mixture as it is (no UTF-8 mask, no renormalisation: the rule every member and
/// token-level method is scored by), then feeds it to every member. Ends with <see cref="TokenScoringStepper.Scored"/>.
/// </summary>
internal sealed class ByteScoringStepper(ByteRun run, VocabularyCatalog catalog, byte[] bytes) : IGenerationStepper
{
    private int _next;

    public FusedRun Run => run.Run;
    public double OpenMilliseconds { get; private set; }
    public int PromptTokens => run.Members[run.Run.MainIndex].Evidence?.TokenIds.Length ?? 0;

    /// <summary>The fused NLL of the scored bytes (nats), the same under the mask, renormalised (generation's rule; reported only).</summary>
    public double Nll { get; private set; }
    public double MaskedNll { get; private set; }
    public double[] WeightSums { get; } = new double[run.Members.Count];

    /// <summary>Each member's own byte-level NLL of the scored bytes (nats).</summary>
    public double[] MemberNll { get; } = new double[run.Members.Count];

    public async Task OpenAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await run.OpenAsync(catalog, ct);
        OpenMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    public async Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct)
    {
        var b = bytes[_next++];
        var fuseStart = Stopwatch.GetTimestamp();
        run.Fuse();
        Nll -= run.ScoreLogProb(b);
        MaskedNll -= run.LogProb(b);
        for (var k = 0; k < WeightSums.Length; k++)
        {
            WeightSums[k] += run.Weights[k];
            MemberNll[k] -= run.Members[k].LogProbs[b];
        }
        var fuseMs = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
        var stepStart = Stopwatch.GetTimestamp();
        await run.AdvanceAsync(b, ct);
        return new StepOutcome([new GeneratedUnit(b, "", null, null, fuseMs, Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds)],
            _next >= bytes.Length ? TokenScoringStepper.Scored : null, fuseMs);
    }

    public string Flush() => "";

    public GenerationFinished Finish(GenerationFinished finished) => finished;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
