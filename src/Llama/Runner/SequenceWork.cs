namespace Chorus.Llama;

/// <summary>Tokens to append to one sequence in a batched <see cref="ModelRunner.Step"/>.</summary>
public sealed record SequenceWork(RunnerSequence Sequence, int[] Tokens, DistributionRequest Request);
