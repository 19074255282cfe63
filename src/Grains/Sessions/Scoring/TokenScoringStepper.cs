using System.Diagnostics;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// Teacher forcing for the <see cref="GenerationLoop"/>: each step scores the text's next token (in the fused vocabulary)
/// by the fused distribution that predicts it, then appends it to every member instead of a drawn token. Ends with
/// reason <see cref="Scored"/> once the last token is scored. Members stay open after it (each is then scored alone).
/// </summary>
internal sealed class TokenScoringStepper(FusedRun run, VocabularyCatalog catalog, string text, int[] ids, int promptTokens, int promptChars) : IGenerationStepper
{
    /// <summary>The finish reason of a text scored to its end.</summary>
    public const string Scored = "scored";

    private int _next;

    public FusedRun Run => run;
    public double OpenMilliseconds => run.PrefillMilliseconds;

    /// <summary>The text's tokens in the fused vocabulary, and how many of them are the prompt.</summary>
    public int[] Ids { get; private set; } = ids;
    public int PromptTokens { get; private set; } = promptTokens;

    /// <summary>The fused negative log-likelihood of the scored tokens (nats), how many, and each member's summed weight.</summary>
    public double Nll { get; private set; }
    public int Count { get; private set; }
    public double[] WeightSums { get; } = new double[run.Members.Count];

    public async Task OpenAsync(CancellationToken ct)
    {
        await run.PrefillAsync(catalog, freeUnusedMembers: false, ct);
        if (run.MainIndex != run.PlannedMainIndex) (Ids, PromptTokens) = FusedScorer.ReferenceSplit(run.Main, text, promptChars);
        _next = PromptTokens;
    }

    public async Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct)
    {
        var i = _next++;
        var fuseStart = Stopwatch.GetTimestamp();
        var fused = run.Fuse();
        Nll -= fused.LogProbs[Ids[i]];
        Count++;
        for (var k = 0; k < WeightSums.Length; k++) WeightSums[k] += fused.MemberWeights[k];
        var fuseMs = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
        var last = i + 1 >= Ids.Length;
        var stepStart = Stopwatch.GetTimestamp();
        if (!last) await run.AdvanceAsync(Ids[i], ct);
        return new StepOutcome([new GeneratedUnit(Ids[i], "", null, null, fuseMs, Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds)], last ? Scored : null, fuseMs);
    }

    public string Flush() => "";

    public GenerationFinished Finish(GenerationFinished finished) => finished;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
