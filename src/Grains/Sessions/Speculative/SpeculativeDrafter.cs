using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Proposes the drafts of a round: a model of the main vocabulary decodes one token at a time on its own sequence —
/// a member's own sequence when a member drafts (its rows are then also its verification rows, so it re-decodes
/// nothing), or a separate drafter model's. Greedy proposes the drafter's arg-max; sampling draws from the drafter's
/// distribution under the request's sampler settings and keeps that proposal for the acceptance rule.
/// </summary>
internal sealed class SpeculativeDrafter : IDrafter
{
    private readonly MemberSequence _sequence;
    private readonly Sampler _sampler;
    private readonly SamplingSpec? _sampling;
    private readonly TokenDistribution _afterPrompt;
    private readonly LlamaVocabulary _vocabulary;
    private readonly int _topK;
    private readonly double[][] _proposals;
    private readonly float[] _logProbs;

    // memberIndex: the member that drafts, or −1 for a drafter that is not a member
    public SpeculativeDrafter(MemberSequence sequence, int memberIndex, Sampler sampler, SamplingSpec sampling, LlamaVocabulary mainVocabulary, int topK, int maxDraft)
    {
        _sequence = sequence;
        _afterPrompt = sequence.AfterPrompt!;
        MemberIndex = memberIndex;
        _sampler = sampler;
        _sampling = sampler.IsGreedy ? null : sampling;
        _vocabulary = mainVocabulary;
        _topK = topK;
        var size = sampler.IsGreedy ? 0 : mainVocabulary.Count;
        _proposals = new double[sampler.IsGreedy ? 0 : maxDraft][];
        for (var i = 0; i < _proposals.Length; i++) _proposals[i] = new double[size];
        _logProbs = new float[size];
    }

    /// <summary>The member that drafts (−1: a separate drafter model).</summary>
    public int MemberIndex { get; }

    /// <summary>A drafting member's greedy first draft is the arg-max of the row the plain step decoded; a separate model's would cost a decode.</summary>
    public int? FreeGuess(IReadOnlyList<int> committed, TokenDistribution?[] row) =>
        _sampling is null && MemberIndex >= 0 && row[MemberIndex] is { } d ? d.ArgMax() : null;

    /// <summary>The proposal distribution draft <paramref name="i"/> was drawn from (sampling only).</summary>
    public ReadOnlySpan<double> Proposal(int i) => _proposals[i];

    /// <summary>
    /// Drafts up to <paramref name="k"/> tokens after the committed ones (fewer when one ends the generation), in one
    /// call to the drafting model; a drafting member's rows go straight into <paramref name="rows"/> (its verification).
    /// </summary>
    public async Task<int[]> DraftAsync(IReadOnlyList<int> committed, int k, TokenDistribution?[][] rows, CancellationToken ct)
    {
        var member = MemberIndex >= 0;
        var drafts = new List<int>(k);
        int? first = null;
        var offset = 0;
        if (committed.Count == 0)
        {
            // nothing to re-decode yet: the first proposal comes from the prefill's distribution
            if (member) rows[0][MemberIndex] = _afterPrompt;
            if (k == 0) return [];
            first = Propose(_afterPrompt, 0);
            drafts.Add(first.Value);
            if (_vocabulary.IsEndOfGeneration(first.Value) || (k == 1 && !member)) return [.. drafts];
            offset = 1;
        }
        else if (k == 0 && !member) return [];
        var count = k - offset;
        var uniforms = _sampling is null ? null : new double[count];
        for (var i = 0; i < (uniforms?.Length ?? 0); i++) uniforms![i] = _sampler.NextUniform();
        var draft = await _sequence.DraftAsync(committed, first, count, decodeLast: member, _topK, rows: member || _sampling is not null, _sampling, uniforms, ct);
        for (var i = 0; i < draft.Rows.Length; i++)
        {
            var position = offset + i;
            var d = draft.Rows[i]!.ToDistribution();
            if (member) rows[position][MemberIndex] = d;
            if (_sampling is not null && position < k) ProposalOf(d, position);
        }
        drafts.AddRange(draft.Drafted);
        return [.. drafts];
    }

    /// <summary>
    /// Greedy: true when the drafter can draft ahead after <paramref name="prefix"/> (see <see cref="PipelinedDraft"/>):
    /// a drafting member needs its row after the prefix and the prefix in its cache; a separate drafter decodes what
    /// it lacks. Not when the bonus would end the generation (nothing to draft after it).
    /// </summary>
    public bool CanDraftAhead(IReadOnlyList<int> prefix, TokenDistribution? afterPrefix)
    {
        if (_sampling is not null) return false;
        if (MemberIndex < 0) return true;
        return afterPrefix is not null && _sequence.Holds(prefix) && !_vocabulary.IsEndOfGeneration(afterPrefix.ArgMax());
    }

    /// <summary>
    /// Greedy: drafts the round after <paramref name="prefix"/> and the bonus (the drafter's own next token), in one
    /// call. A drafting member's bonus is the arg-max of its row after the prefix: the call decodes it, proposes up to
    /// <paramref name="k"/> drafts and returns its rows (they are its verification rows of that round). A separate
    /// drafter decodes the prefix's last token and proposes the bonus first.
    /// </summary>
    public async Task<AheadDraft> DraftAheadAsync(int[] prefix, TokenDistribution? afterPrefix, int k, CancellationToken ct)
    {
        if (MemberIndex < 0)
        {
            var proposed = await _sequence.DraftAsync(prefix, null, k + 1, decodeLast: false, _topK, rows: false, null, null, ct);
            return proposed.Drafted.Length == 0 ? new AheadDraft(-1, [], []) : new AheadDraft(proposed.Drafted[0], proposed.Drafted[1..], []);
        }
        var bonus = afterPrefix!.ArgMax();
        var draft = await _sequence.DraftAsync(prefix, bonus, k, decodeLast: true, _topK, rows: true, null, null, ct);
        var rows = new TokenDistribution[draft.Rows.Length];
        for (var i = 0; i < rows.Length; i++) rows[i] = draft.Rows[i]!.ToDistribution();
        return new AheadDraft(bonus, draft.Drafted, rows);
    }

    private int Propose(TokenDistribution d, int i)
    {
        if (_sampling is null) return d.ArgMax();
        ProposalOf(d, i);
        return SpeculativeAcceptance.Draw(_proposals[i], _sampler.NextUniform());
    }

    // the law draft i is drawn from (as the drafting grain computes it)
    private void ProposalOf(TokenDistribution d, int i)
    {
        SpeculativeAcceptance.ProposalLogProbs(d, _logProbs);
        _sampler.Probabilities(_logProbs, _proposals[i]);
    }
}
