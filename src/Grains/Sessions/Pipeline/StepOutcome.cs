using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// A unit a step committed: a token of the fused vocabulary, or one character under byte fusion (its id the code point).
/// <see cref="Piece"/> is its text (complete UTF-8 characters only); <see cref="Notes"/> what the client asked to see of
/// the step that chose it; the times are its share of the step.
/// </summary>
internal readonly record struct GeneratedUnit(int Id, string Piece, UnitNotes? Notes, Dictionary<string, int[]>? MemberTokens, double FuseMilliseconds, double StepMilliseconds);

/// <summary>What one step committed, and why the generation ends after it (null: it goes on).</summary>
internal readonly record struct StepOutcome(IReadOnlyList<GeneratedUnit> Units, string? Ended, double FuseMilliseconds)
{
    public static StepOutcome End(string reason) => new([], reason, 0);
}

/// <summary>The per-unit details a request asked for: member weights and method diagnostics, log-probabilities.</summary>
internal sealed record UnitNotes(Dictionary<string, double>? Weights, Dictionary<string, string>? Diagnostics, TokenLogProb? LogProb, TokenLogProb[]? TopLogProbs);
