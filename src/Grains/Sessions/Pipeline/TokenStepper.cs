using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Plain fused decoding: each step fuses the members' current distributions, draws one token (penalties change the draw,
/// not the distribution the log-probabilities report, as vLLM's raw logprobs) and advances every member to it.
/// <para>
/// The token is returned as soon as the members' advance to it is posted, not when it is decoded: the loop streams it
/// while the members decode, and the next step waits for that decode first (as llama.cpp's server sends a token while
/// its next batch decodes). So every token, the first included, reaches the client one member step earlier. A request
/// that shows each member's own tokens waits for the advance, since those tokens are only known after it.
/// </para>
/// </summary>
internal sealed class TokenStepper(FusedRun run, Sampler sampler, SamplingSpec sampling, VocabularyCatalog catalog) : IGenerationStepper
{
    private FusedPenalties? _penalties;
    private Task? _advancing; // the members' advance to the last token returned, still decoding

    public FusedRun Run => run;
    public double OpenMilliseconds => run.PrefillMilliseconds;
    public int PromptTokens => run.Main.Evidence?.TokenIds.Length ?? 0;

    public async Task OpenAsync(CancellationToken ct)
    {
        await run.PrefillAsync(catalog, freeUnusedMembers: true, ct);
        _penalties = FusedPenalties.For(sampling, run.Main.Vocabulary.Count, run.Main.Evidence?.TokenIds);
    }

    public async Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct)
    {
        var stepStart = Stopwatch.GetTimestamp();
        if (await Settled() is { } reason) return StepOutcome.End(reason);
        var waitedMs = Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds;

        var fuseStart = Stopwatch.GetTimestamp();
        var fused = run.Fuse();
        var sampleStart = Stopwatch.GetTimestamp();
        var token = sampler.Sample(_penalties is null ? fused.LogProbs : _penalties.Apply(fused.LogProbs));
        run.Timings.AddSample(Stopwatch.GetElapsedTime(sampleStart).TotalMilliseconds);
        var fuseMs = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
        if (run.Main.Vocabulary.IsEndOfGeneration(token)) return new StepOutcome([], "eog", fuseMs);
        var notes = annotate.Of(fused, token);

        // the advance's first part runs here, before it awaits the members: the token's text is known at once
        _advancing = run.AdvanceAsync(token, ct);
        var piece = run.LastPiece;
        _penalties?.AddGenerated(token);
        if (!annotate.MemberTokens)
            return new StepOutcome([new GeneratedUnit(token, piece, notes, null, fuseMs, waitedMs)], null, fuseMs);
        var ended = await Settled();
        var memberTokens = run.Members.ToDictionary(m => m.Name, m => m.LastTokens);
        return new StepOutcome([new GeneratedUnit(token, piece, notes, memberTokens, fuseMs, Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds)], ended, fuseMs);
    }

    // waits for the members' last advance; "length" when a member's context is full (the token before was still chosen
    // and returned, as llama.cpp's server does)
    private async Task<string?> Settled()
    {
        if (_advancing is not { } advancing) return null;
        _advancing = null;
        try
        {
            await advancing;
            return null;
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            return "length";
        }
    }

    public string Flush() => run.FlushText();

    public GenerationFinished Finish(GenerationFinished finished) => finished;

    // an advance still decoding when the generation ended (its last token, a stop, cancellation): no member call stays in
    // flight once the session releases the slots; how it ended no longer matters
    public async ValueTask DisposeAsync()
    {
        var advancing = _advancing;
        _advancing = null;
        await InFlight.DropAsync(advancing);
    }
}
