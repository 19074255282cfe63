using System.Diagnostics;

namespace Chorus.Llama.Training;

/// <summary>
/// Linear warm-up, then cosine decay from the peak to the floor. The run's length is not known in steps when training is
/// time-boxed, so the decay follows the larger of the elapsed share of the time budget and of the step budget.
/// </summary>
public sealed class LearningRateSchedule(TrainingOptions options)
{
    private readonly Stopwatch _clock = new();

    /// <summary>Optimizer steps taken (one per <see cref="Next"/>).</summary>
    public int Step { get; private set; }

    /// <summary>The learning rate of the most recent step.</summary>
    public double Current { get; private set; }

    public void Start() => _clock.Restart();

    /// <summary>Share of the budget spent, in [0, 1].</summary>
    public double Progress
    {
        get
        {
            var byTime = options.Duration > TimeSpan.Zero ? _clock.Elapsed / options.Duration : 0;
            var bySteps = options.MaxSteps is { } max ? (double)Step / max : 0;
            return Math.Clamp(Math.Max(byTime, bySteps), 0, 1);
        }
    }

    /// <summary>The learning rate for the next optimizer step; counts the step.</summary>
    public double Next()
    {
        Step++;
        Current = At(Step, Progress);
        return Current;
    }

    /// <summary>The rate at a step and a budget share: warm-up first, cosine after.</summary>
    public double At(int step, double progress)
    {
        if (step <= options.WarmupSteps) return options.LearningRate * step / Math.Max(1, options.WarmupSteps);
        var cosine = 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));
        return options.MinLearningRate + (options.LearningRate - options.MinLearningRate) * cosine;
    }
}
