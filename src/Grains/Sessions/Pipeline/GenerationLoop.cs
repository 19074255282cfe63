using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The one generation loop, whatever the mode (token, speculative, byte; prompt or chat): admission to every member's
/// slots, the stepper's prefill, then steps until an end — stop strings, the end of generation, the unit limit, a full
/// context, cancellation or the deadline — and one finish event. It owns what every mode shares: end reasons, the
/// cancelled/deadline choice, the stop filter and the tail flush, per-unit weights and log-probabilities
/// (<see cref="UnitAnnotator"/>), the fusion-time metric and the step-time split. As llama.cpp's server does in
/// <c>update_slots</c>, a mode differs only in how a step commits its units (vLLM's engine core: speculative tokens are
/// ordinary scheduled tokens). Scoring runs the same loop with a teacher-forcing stepper (<see cref="FusedScorer"/>).
/// </summary>
internal sealed class GenerationLoop(LoopOptions request, int maxUnits, ChorusMetrics metrics)
{
    /// <summary>
    /// Runs <paramref name="stepper"/> to its end. <paramref name="ct"/> is cancelled by the caller or the deadline;
    /// <paramref name="caller"/> by the caller alone (which of the two ended the generation decides its reason).
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> RunAsync(Guid session, string method, IGenerationStepper stepper,
        [EnumeratorCancellation] CancellationToken ct, CancellationToken caller)
    {
        var total = Stopwatch.StartNew();
        var run = stepper.Run;
        await foreach (var queued in run.AdmitOrDeadlineAsync(ct, caller)) yield return queued;
        if (run.AdmissionTimedOut || !await OpenOrDeadline(stepper, ct, caller))
        {
            yield return new GenerationFinished("deadline", "", 0, 0, stepper.OpenMilliseconds, total.Elapsed.TotalMilliseconds, 0, 0);
            yield break;
        }
        yield return new GenerationStarted(session, method, [.. run.Members.Select(m => MemberStatuses.Of(m, request.ShowMemberTokens))], stepper.OpenMilliseconds);

        var annotate = new UnitAnnotator(request, run);
        var stops = new StopStringFilter(request.Stop);
        var completion = new StringBuilder();
        var reason = "max_tokens";
        double fuseTotal = 0, stepTotal = 0;
        var produced = 0;
        while (produced < maxUnits)
        {
            if (ct.IsCancellationRequested) { reason = CancelledOrDeadline(caller); break; }
            var (outcome, ended) = await StepOrEnd(stepper, maxUnits - produced, annotate, ct, caller);
            if (outcome.FuseMilliseconds > 0) metrics.FusionTime.Record(outcome.FuseMilliseconds / 1000);
            var stopped = false;
            foreach (var unit in outcome.Units)
            {
                fuseTotal += unit.FuseMilliseconds;
                stepTotal += unit.StepMilliseconds;
                completion.Append(unit.Piece);
                var (emit, stop) = stops.Push(unit.Piece);
                var streamStart = Stopwatch.GetTimestamp();
                yield return new GeneratedToken(produced++, emit, unit.Id, unit.Notes?.Weights, unit.Notes?.Diagnostics, unit.MemberTokens,
                    unit.FuseMilliseconds, unit.StepMilliseconds) { LogProb = unit.Notes?.LogProb, TopLogProbs = unit.Notes?.TopLogProbs };
                run.Timings.AddStream(Stopwatch.GetElapsedTime(streamStart).TotalMilliseconds);
                if (stop) { stopped = true; break; }
            }
            if (stopped) { reason = "stop"; break; }
            if ((ended ?? outcome.Ended) is { } end) { reason = end; break; }
        }
        if (reason != "stop")
        {
            var rest = stepper.Flush();
            completion.Append(rest);
            var tail = stops.Push(rest).Emit + stops.Flush();
            if (tail.Length > 0) yield return new GeneratedToken(produced, tail, -1, null, null, null, 0, 0);
        }
        if (run.Timings.Steps > 0) metrics.RecordSplit(run.Timings);
        yield return stepper.Finish(new GenerationFinished(reason, StopAt(completion.ToString(), request.Stop), stepper.PromptTokens, produced,
            stepper.OpenMilliseconds, total.Elapsed.TotalMilliseconds, produced > 0 ? fuseTotal / produced : 0, produced > 0 ? stepTotal / produced : 0)
        { Split = run.Timings.Steps > 0 ? run.Timings.Means() : null });
    }

    // false when the deadline (not the caller) cut the prefill short
    private static async Task<bool> OpenOrDeadline(IGenerationStepper stepper, CancellationToken ct, CancellationToken caller)
    {
        try
        {
            await stepper.OpenAsync(ct);
            return true;
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested && ct.IsCancellationRequested)
        {
            return false;
        }
    }

    // the step's outcome, or why the generation ends instead: cancelled, deadline, or "length" when a member's context is full
    private static async Task<(StepOutcome Outcome, string? Ended)> StepOrEnd(IGenerationStepper stepper, int remaining, UnitAnnotator annotate,
        CancellationToken ct, CancellationToken caller)
    {
        try
        {
            return (await stepper.StepAsync(remaining, annotate, ct), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (StepOutcome.End(""), CancelledOrDeadline(caller));
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            return (StepOutcome.End(""), "length");
        }
    }

    private static string CancelledOrDeadline(CancellationToken caller) => caller.IsCancellationRequested ? "cancelled" : "deadline";

    /// <summary>The text up to the first stop string (the streamed text never showed what follows one).</summary>
    internal static string StopAt(string text, string[]? stops)
    {
        foreach (var s in stops ?? [])
        {
            if (string.IsNullOrEmpty(s)) continue;
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return text;
    }
}
