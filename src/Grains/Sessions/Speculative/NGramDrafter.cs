using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// A drafter that costs no model: prompt lookup (llama.cpp's lookup decoding, vLLM's <c>ngram</c> speculator). The last
/// n tokens of the text so far (prompt and generated, in the fused vocabulary; n from <see cref="MaxN"/> down to
/// <see cref="MinN"/>) are looked up earlier in the same text, most recent occurrence first, and the tokens that followed
/// it are proposed. Code and text that repeats or quotes itself continue the way they did before, often. With nothing
/// to match it proposes nothing and the round is a plain step. Its proposals are deterministic: under sampling each
/// draft's law is a point mass, so the acceptance rule keeps draft d with probability p(d) and otherwise draws from p
/// without d, which leaves the fused distribution exact.
/// </summary>
internal sealed class NGramDrafter(int[] prompt, bool greedy, int vocabularySize, int maxDraft) : IDrafter
{
    /// <summary>The drafter name that selects prompt lookup (<c>drafter</c> in the request; a model cannot take it).</summary>
    public const string Name = "ngram";

    /// <summary>The longest and shortest suffix looked up; a longer match is tried first (it predicts better).</summary>
    public const int MaxN = 4, MinN = 2;

    private readonly double[][] _proposals = greedy ? [] : [.. Enumerable.Range(0, maxDraft).Select(_ => new double[vocabularySize])];
    private readonly int[] _marked = new int[greedy ? 0 : maxDraft];
    private readonly List<int> _text = [.. prompt];

    public int MemberIndex => -1;

    public Task<int[]> DraftAsync(IReadOnlyList<int> committed, int k, TokenDistribution?[][] rows, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Sync(committed);
        var drafts = Lookup(_text, k);
        if (!greedy)
            for (var i = 0; i < drafts.Length; i++)
            {
                _proposals[i][_marked[i]] = 0;
                _proposals[i][drafts[i]] = 1;
                _marked[i] = drafts[i];
            }
        return Task.FromResult(drafts);
    }

    public int? FreeGuess(IReadOnlyList<int> committed, TokenDistribution?[] row)
    {
        if (!greedy) return null;
        Sync(committed);
        return Lookup(_text, 1) is [var first] ? first : null;
    }

    public ReadOnlySpan<double> Proposal(int i) => _proposals[i];

    // drafting is free and immediate: nothing to overlap with the verification
    public bool CanDraftAhead(IReadOnlyList<int> prefix, TokenDistribution? afterPrefix) => false;

    public Task<AheadDraft> DraftAheadAsync(int[] prefix, TokenDistribution? afterPrefix, int k, CancellationToken ct) =>
        throw new InvalidOperationException("the n-gram drafter does not draft ahead");

    /// <summary>
    /// The <paramref name="k"/> tokens that followed the most recent earlier occurrence of the longest matching suffix of
    /// <paramref name="text"/>, continued as the repetition they start (past the end of the text), or none.
    /// </summary>
    internal static int[] Lookup(IReadOnlyList<int> text, int k)
    {
        if (k <= 0) return [];
        for (var n = Math.Min(MaxN, text.Count - 1); n >= MinN; n--)
        {
            var suffix = text.Count - n;
            for (var start = suffix - 1; start >= 0; start--)
            {
                if (!Matches(text, start, suffix, n)) continue;
                // the continuation runs on into the drafts themselves: text that repeats with period (Count − from)
                // goes on repeating, so a loop shorter than k still drafts k tokens (llama.cpp's lookup reaches the same
                // by looking up again after each drafted token)
                var from = start + n;
                var drafts = new int[k];
                for (var i = 0; i < k; i++) drafts[i] = from + i < text.Count ? text[from + i] : drafts[from + i - text.Count];
                return drafts;
            }
        }
        return [];
    }

    private static bool Matches(IReadOnlyList<int> text, int at, int suffix, int n)
    {
        for (var i = 0; i < n; i++)
            if (text[at + i] != text[suffix + i]) return false;
        return true;
    }

    // the committed tokens only grow, and a round's rejected drafts were never added
    private void Sync(IReadOnlyList<int> committed)
    {
        var have = _text.Count - prompt.Length;
        for (var i = have; i < committed.Count; i++) _text.Add(committed[i]);
    }
}
