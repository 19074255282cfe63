using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// What proposes a speculative round's drafts, in the fused (main) vocabulary: a model (<see cref="SpeculativeDrafter"/>:
/// a member's own sequence or a separate drafter's) or the text itself (<see cref="NGramDrafter"/>: prompt lookup, free).
/// The round's acceptance rule keeps the output exact whatever proposes: greedy keeps a draft exactly when it is the
/// fused arg-max, and sampling accepts and resamples against the proposal law each draft was drawn from.
/// </summary>
internal interface IDrafter
{
    /// <summary>The member that drafts (its rows are its verification rows), or −1 when no member does.</summary>
    int MemberIndex { get; }

    /// <summary>
    /// Drafts up to <paramref name="k"/> tokens after the committed ones (fewer, or none, when it has nothing to
    /// propose); a drafting member puts its rows into <paramref name="rows"/>.
    /// </summary>
    Task<int[]> DraftAsync(IReadOnlyList<int> committed, int k, TokenDistribution?[][] rows, CancellationToken ct);

    /// <summary>
    /// Greedy: the token the first draft after <paramref name="committed"/> would be, when knowing it costs nothing — a
    /// drafting member's arg-max of its row in <paramref name="row"/> (the members' distributions after the committed
    /// tokens, which a plain step decodes anyway), prompt lookup's first token; null when it would cost a decode (a separate
    /// drafter model), under sampling, or when there is nothing to propose. <see cref="DraftLength"/> judges pauses by it.
    /// </summary>
    int? FreeGuess(IReadOnlyList<int> committed, TokenDistribution?[] row);

    /// <summary>The law draft <paramref name="i"/> of the last call was drawn from (sampling only).</summary>
    ReadOnlySpan<double> Proposal(int i);

    /// <summary>Greedy: whether the next round can be drafted ahead while this one is verified (<see cref="PipelinedDraft"/>).</summary>
    bool CanDraftAhead(IReadOnlyList<int> prefix, TokenDistribution? afterPrefix);

    /// <summary>Greedy: drafts the round after <paramref name="prefix"/> and the bonus, ahead.</summary>
    Task<AheadDraft> DraftAheadAsync(int[] prefix, TokenDistribution? afterPrefix, int k, CancellationToken ct);
}
