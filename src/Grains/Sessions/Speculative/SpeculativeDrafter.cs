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
internal sealed class SpeculativeDrafter
{
    private readonly DraftSequence _sequence;
    private readonly Sampler _sampler;
    private readonly SamplingSpec? _sampling;
    private readonly TokenDistribution _afterPrompt;
    private readonly LlamaVocabulary _vocabulary;
    private readonly int _topK;
    private readonly double[][] _proposals;
    private readonly float[] _logProbs;

    // memberIndex: the member that drafts, or −1 for a drafter that is not a member
    public SpeculativeDrafter(DraftSequence sequence, int memberIndex, Sampler sampler, SamplingSpec sampling, LlamaVocabulary mainVocabulary, int topK, int maxDraft)
    {
        _sequence = sequence;
        _afterPrompt = sequence.AfterPrompt;
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
            var d = draft.Rows[i].ToDistribution();
            if (member) rows[position][MemberIndex] = d;
            if (_sampling is not null && position < k) ProposalOf(d, position);
        }
        drafts.AddRange(draft.Tokens);
        return [.. drafts];
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
