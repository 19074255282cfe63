using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Plain fused decoding: each step fuses the members' current distributions, draws one token (penalties change the draw,
/// not the distribution the log-probabilities report, as vLLM's raw logprobs) and advances every member to it.
/// </summary>
internal sealed class TokenStepper(FusedRun run, Sampler sampler, SamplingSpec sampling, VocabularyCatalog catalog) : IGenerationStepper
{
    private FusedPenalties? _penalties;

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
        var fuseStart = Stopwatch.GetTimestamp();
        var fused = run.Fuse();
        var sampleStart = Stopwatch.GetTimestamp();
        var token = sampler.Sample(_penalties is null ? fused.LogProbs : _penalties.Apply(fused.LogProbs));
        run.Timings.AddSample(Stopwatch.GetElapsedTime(sampleStart).TotalMilliseconds);
        var fuseMs = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
        if (run.Main.Vocabulary.IsEndOfGeneration(token)) return new StepOutcome([], "eog", fuseMs);
        var notes = annotate.Of(fused, token);

        var stepStart = Stopwatch.GetTimestamp();
        string piece;
        string? ended = null;
        try
        {
            piece = await run.AdvanceAsync(token, ct);
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            // a member's context is full: the token was still chosen and is returned with "length", as llama.cpp's server does
            (piece, ended) = (run.LastPiece, "length");
        }
        _penalties?.AddGenerated(token);
        var memberTokens = annotate.MemberTokens ? run.Members.ToDictionary(m => m.Name, m => m.LastTokens) : null;
        return new StepOutcome([new GeneratedUnit(token, piece, notes, memberTokens, fuseMs, Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds)], ended, fuseMs);
    }

    public string Flush() => run.FlushText();

    public GenerationFinished Finish(GenerationFinished finished) => finished;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
