namespace Chorus.Grains;

/// <summary>How a model's scheduler forms each decode step (from <c>Chorus:Models:N</c>; see <see cref="ModelOptions"/>).</summary>
/// <param name="PrefillStretch">
/// How long a step that carries prefill may take, as a multiple of a step of decode rows alone, while other sequences are
/// decoding: the prefill chunk is sized to fit (<see cref="StepBudget"/>). 0 turns chunking off (a prefill takes whole
/// batches, as many as it needs, stalling decodes meanwhile).
/// </param>
/// <param name="GatherSteps">
/// How long a step waits for the sequences the last step served to come back with their next edit, in steps' time
/// (<see cref="StepGather"/>). 0 turns gathering off: a step decodes whatever is ready the moment the last one ends.
/// </param>
internal sealed record StepOptions(double PrefillStretch = 2.0, double GatherSteps = 1.0)
{
    public static StepOptions Default { get; } = new();
}
