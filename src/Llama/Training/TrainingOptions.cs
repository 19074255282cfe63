namespace Chorus.Llama.Training;

/// <summary>
/// How to train: the measured recipe of TRAINING.md by default — AdamW lr 2e-4, β2 0.99, cosine decay to 2e-5 over the
/// run, 50 warm-up steps. One optimizer step is one window of <see cref="ContextSize"/> tokens.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Wall-clock budget; training stops at the first window boundary past it.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Optional cap on optimizer steps (the schedule then follows whichever of steps and time runs out first).</summary>
    public int? MaxSteps { get; init; }

    public double LearningRate { get; init; } = 2e-4;
    public double MinLearningRate { get; init; } = 2e-5;
    public int WarmupSteps { get; init; } = 50;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double Epsilon { get; init; } = 1e-8;
    public double WeightDecay { get; init; }

    /// <summary>Tokens per training window (0: the model's trained context length).</summary>
    public int ContextSize { get; init; }

    /// <summary>Seeds the choice of training windows.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>CPU threads (0: all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Windows per <c>llama_opt_epoch</c> call: the granularity at which time is checked and windows are drawn.</summary>
    public int WindowsPerRound { get; init; } = 8;

    /// <summary>Held-out windows scored before and after training (0: no held-out evaluation).</summary>
    public int HeldOutWindows { get; init; } = 16;

    /// <summary>Every problem with the options, empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Duration <= TimeSpan.Zero && MaxSteps is null) problems.Add("give a positive duration or a step limit");
        if (MaxSteps is <= 0) problems.Add($"the step limit must be positive, not {MaxSteps}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) problems.Add($"learning rate must be positive, not {LearningRate}");
        if (!(MinLearningRate >= 0) || MinLearningRate > LearningRate) problems.Add($"minimum learning rate must lie in [0, {LearningRate}], not {MinLearningRate}");
        if (WarmupSteps < 0) problems.Add($"warm-up steps must be ≥ 0, not {WarmupSteps}");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) problems.Add($"betas must lie in [0, 1), not {Beta1} and {Beta2}");
        if (ContextSize is < 0 or 1) problems.Add($"context size must be ≥ 2 (or 0 for the model's), not {ContextSize}");
        if (WindowsPerRound <= 0) problems.Add($"windows per round must be positive, not {WindowsPerRound}");
        if (HeldOutWindows < 0) problems.Add($"held-out windows must be ≥ 0, not {HeldOutWindows}");
        return problems;
    }
}
