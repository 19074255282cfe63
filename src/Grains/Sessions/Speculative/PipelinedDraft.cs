using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Greedy speculative ensembling, pipelined: while a round's drafts are verified, the drafter already drafts the next
/// round, assuming the round keeps every draft and then takes the drafter's own next token (the bonus) — what happens
/// whenever the drafter agrees with the ensemble. When the round settles exactly so, the next round starts with its
/// drafts (and a drafting member's rows) already made, and the drafting call is off the critical path: a round then
/// costs one member call in sequence instead of two. Otherwise the draft ahead is waited for and thrown away, and the
/// next round drafts as before; the drafter's <see cref="MemberSequence"/> records what the draft ahead decoded, so its
/// next call rolls those tokens back as it rolls back a rejected draft.
/// <para>
/// Greedy only (a sampled round's acceptance needs proposals drawn after it settles). At most one draft ahead is in
/// flight, on the drafter's sequence alone: the round's verification runs on the other members' sequences (a drafting
/// member's verification rows came with its drafts), and the draft ahead keeps its rows apart from the rows the round
/// is fusing. Whoever starts one settles it (<see cref="SettleAsync"/>) before the drafter's sequence is used again or
/// released.
/// </para>
/// </summary>
internal sealed class PipelinedDraft(IDrafter drafter)
{
    private Task<AheadDraft>? _pending;
    private int[] _prefix = [];

    /// <summary>Rounds that started with drafts made ahead.</summary>
    public int Used { get; private set; }

    /// <summary>
    /// Starts drafting <paramref name="k"/> tokens of the round after <paramref name="committed"/> +
    /// <paramref name="drafts"/> + the bonus; <paramref name="afterDrafts"/> is a drafting member's row after the last
    /// draft (its arg-max is the bonus). Does nothing when the drafter cannot draft ahead from there.
    /// </summary>
    public void Start(IReadOnlyList<int> committed, int[] drafts, TokenDistribution? afterDrafts, int k, CancellationToken ct)
    {
        if (_pending is not null) throw new InvalidOperationException("a draft ahead is still in flight");
        int[] prefix = [.. committed, .. drafts];
        if (k <= 0 || !drafter.CanDraftAhead(prefix, afterDrafts)) return;
        _prefix = prefix;
        _pending = drafter.DraftAheadAsync(prefix, afterDrafts, k, ct);
    }

    /// <summary>
    /// Waits for the draft ahead, if any. When <paramref name="committed"/> is what it assumed, returns up to
    /// <paramref name="k"/> of its drafts and puts a drafting member's rows into <paramref name="rows"/>; otherwise
    /// null (the round drafts itself), having observed the discarded call's outcome.
    /// </summary>
    public async Task<int[]?> TakeAsync(IReadOnlyList<int> committed, int k, TokenDistribution?[][] rows)
    {
        if (_pending is not { } pending) return null;
        _pending = null;
        if (k == 0 || !ExtendsPrefix(committed))
        {
            await InFlight.DropAsync(pending); // a discarded draft: the round drafts again if it must
            return null;
        }
        var ahead = await pending; // the assumed prefix came true: its failure is this round's drafting failure
        if (ahead.Bonus != committed[^1] || ahead.Drafts.Length == 0) return null;
        var used = Math.Min(k, ahead.Drafts.Length);
        if (drafter.MemberIndex >= 0)
            for (var j = 0; j <= used && j < ahead.Rows.Length; j++) rows[j][drafter.MemberIndex] = ahead.Rows[j];
        Used++;
        return ahead.Drafts[..used];
    }

    /// <summary>Waits for a draft ahead still in flight and drops it (its errors too): no call is left on the drafter's sequence.</summary>
    public async Task SettleAsync()
    {
        if (_pending is not { } pending) return;
        _pending = null;
        await InFlight.DropAsync(pending);
    }

    // the committed tokens are the assumed prefix and one more (the bonus, compared once the draft ahead is back)
    private bool ExtendsPrefix(IReadOnlyList<int> committed)
    {
        if (committed.Count != _prefix.Length + 1) return false;
        for (var i = 0; i < _prefix.Length; i++)
            if (committed[i] != _prefix[i]) return false;
        return true;
    }
}

/// <summary>A draft made ahead: the bonus it assumed, the drafts after it, and a drafting member's rows after the bonus and after each draft.</summary>
internal sealed record AheadDraft(int Bonus, int[] Drafts, TokenDistribution[] Rows);
