namespace Chorus.Grains;

/// <summary>
/// One mode of generation as the <see cref="GenerationLoop"/> drives it: plain token steps (<see cref="TokenStepper"/>),
/// draft-and-verify rounds (<see cref="SpeculativeStepper"/>) or byte steps (<see cref="ByteStepper"/>). A stepper opens its
/// members on the prompt and then commits units — tokens, or characters for byte fusion — a step at a time; everything
/// a generation shares (stops, end reasons, deadline and cancellation, metrics, log-probabilities, the finish event) is
/// the loop's. Disposing it releases what the mode holds beyond the run's members (a drafter's slot); the run itself is
/// released by its owner.
/// </summary>
internal interface IGenerationStepper : IAsyncDisposable
{
    /// <summary>The members, admitted by the loop and released by the session that resolved them.</summary>
    FusedRun Run { get; }

    /// <summary>Prefills the members on the prompt and prepares the method.</summary>
    Task OpenAsync(CancellationToken ct);

    /// <summary>How long <see cref="OpenAsync"/> took.</summary>
    double OpenMilliseconds { get; }

    /// <summary>Tokens of the prompt in the fused vocabulary (for the finish event), after <see cref="OpenAsync"/>.</summary>
    int PromptTokens { get; }

    /// <summary>
    /// Commits at most <paramref name="remaining"/> units (at least one unless it ends the generation). A step that ends the
    /// generation says why: "eog" when the fused distribution chose to end, "length" when a member's context is full (the
    /// units of that step are still returned). Cancellation and the deadline surface as <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct);

    /// <summary>Text still held back at the end (an unfinished UTF-8 character of the last token).</summary>
    string Flush();

    /// <summary>The finish event with what this mode measured added (drafts and rounds under speculation).</summary>
    Contracts.GenerationFinished Finish(Contracts.GenerationFinished finished);
}
