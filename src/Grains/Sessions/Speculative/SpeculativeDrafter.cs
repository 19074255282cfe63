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
    private readonly SpeculativeAcceptance _acceptance;
    private readonly LlamaVocabulary _vocabulary;
    private readonly int _topK;
    private readonly double[][] _proposals;
    private readonly float[] _logProbs;

    // memberIndex: the member that drafts, or −1 for a drafter that is not a member
    public SpeculativeDrafter(DraftSequence sequence, int memberIndex, Sampler sampler, LlamaVocabulary mainVocabulary, int topK, int maxDraft)
    {
        _sequence = sequence;
        MemberIndex = memberIndex;
        _sampler = sampler;
        _acceptance = new SpeculativeAcceptance(sampler);
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

    /// <summary>Drafts up to <paramref name="k"/> tokens after the committed ones (fewer when one ends the generation).</summary>
    public async Task<int[]> DraftAsync(IReadOnlyList<int> committed, int k, TokenDistribution?[][] rows, CancellationToken ct)
    {
        var (next, _) = await _sequence.ExtendAsync(committed, [], _topK, ct);
        if (MemberIndex >= 0) rows[0][MemberIndex] = next;
        var drafts = new List<int>(k);
        for (var i = 0; i < k; i++)
        {
            var token = Propose(next, i);
            drafts.Add(token);
            if (_vocabulary.IsEndOfGeneration(token) || i == k - 1) break;
            next = await _sequence.AppendAsync(token, _topK, ct);
            if (MemberIndex >= 0) rows[i + 1][MemberIndex] = next;
        }
        return [.. drafts];
    }

    /// <summary>The drafting member's verification: decodes the last draft (the others were decoded while drafting).</summary>
    public Task<TokenDistribution> VerifyLastAsync(int token, CancellationToken ct) => _sequence.AppendAsync(token, _topK, ct);

    private int Propose(TokenDistribution d, int i)
    {
        if (_sampler.IsGreedy) return d.ArgMax();
        if (d.IsFull)
        {
            var logits = d.Logits;
            for (var t = 0; t < _logProbs.Length; t++) _logProbs[t] = logits[t] - d.LogSumExp;
        }
        else
        {
            Array.Fill(_logProbs, float.NegativeInfinity);
            var top = d.TopTokens;
            var lps = d.TopLogProbs;
            for (var t = 0; t < top.Length; t++) _logProbs[top[t]] = lps[t];
        }
        _sampler.Probabilities(_logProbs, _proposals[i]);
        return _acceptance.Draw(_proposals[i]);
    }
}
