namespace Chorus.Llama.Training;

/// <summary>A progress report after every training window; <c>Loss</c> is the mean training cross-entropy (nats/token) of the current round.</summary>
public sealed record TrainingProgress(int Step, long Tokens, double Loss, double LearningRate, TimeSpan Elapsed, TimeSpan Remaining)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}

/// <summary>What a training run did. Held-out losses are mean cross-entropy in nats/token (NaN when not measured).</summary>
public sealed record TrainingResult(int Steps, long Tokens, TimeSpan Elapsed, double FinalTrainLoss, double HeldOutLossBefore, double HeldOutLossAfter)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
    public double HeldOutPerplexityBefore => Math.Exp(HeldOutLossBefore);
    public double HeldOutPerplexityAfter => Math.Exp(HeldOutLossAfter);
}
