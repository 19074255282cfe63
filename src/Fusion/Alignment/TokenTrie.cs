namespace Chorus.Fusion;

/// <summary>
/// A character trie over a vocabulary's pieces, searched for the piece at minimum Levenshtein distance from a
/// query. The search walks the trie with one dynamic-programming row per depth, computes only the diagonal band
/// that can still beat the best distance found so far (cells outside it are capped — exact for the cap), and
/// prunes every branch whose row minimum cannot beat it: what makes MinED over 150k × 50k take seconds, not hours.
/// </summary>
internal sealed class TokenTrie
{
    private readonly char[] _label;
    private readonly int[] _firstChild;
    private readonly int[] _nextSibling;
    private readonly int[] _tokenId;
    private readonly Dictionary<long, int> _children = [];

    /// <param name="pieces">The text of each token id; null leaves a token out of the trie.</param>
    public TokenTrie(IReadOnlyList<string?> pieces)
    {
        var label = new List<char> { '\0' };
        var first = new List<int> { -1 };
        var next = new List<int> { -1 };
        var token = new List<int> { -1 };
        for (var id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id];
            if (piece is null) continue;
            var node = 0;
            foreach (var c in piece)
            {
                var key = ((long)node << 16) | c;
                if (!_children.TryGetValue(key, out var child))
                {
                    child = label.Count;
                    label.Add(c); first.Add(-1); token.Add(-1);
                    next.Add(first[node]);
                    first[node] = child;
                    _children[key] = child;
                }
                node = child;
            }
            if (token[node] < 0) token[node] = id; // duplicate pieces keep the lowest id
            MaxDepth = Math.Max(MaxDepth, piece.Length);
        }
        _label = [.. label];
        _firstChild = [.. first];
        _nextSibling = [.. next];
        _tokenId = [.. token];
    }

    public int MaxDepth { get; }

    /// <summary>Working memory for one search thread.</summary>
    public sealed class Buffers(int maxDepth, int maxQueryLength)
    {
        public int[] Rows { get; } = new int[(maxDepth + 2) * (maxQueryLength + 1)];
        public int[] Lo { get; } = new int[maxDepth + 2];
        public int[] Hi { get; } = new int[maxDepth + 2];
    }

    /// <summary>
    /// The token at minimum edit distance from <paramref name="query"/>; ties keep the first found (the deepest
    /// prefix match on the query's own path, then trie order). Stops after <paramref name="nodeBudget"/> nodes
    /// and returns the best so far, flagged.
    /// </summary>
    public (int TokenId, int Distance, bool BudgetExhausted) Nearest(string query, Buffers buffers, int nodeBudget)
    {
        var state = new SearchState(query, buffers, nodeBudget, query.Length + MaxDepth + 1);
        var node = 0;
        for (var depth = 0; depth <= query.Length; depth++)
        {
            if (_tokenId[node] >= 0 && query.Length - depth <= state.Best) { state.Best = query.Length - depth; state.BestId = _tokenId[node]; }
            if (depth == query.Length || !_children.TryGetValue(((long)node << 16) | query[depth], out node)) break;
        }
        for (var i = 0; i <= query.Length; i++) buffers.Rows[i] = i;
        buffers.Lo[0] = 0;
        buffers.Hi[0] = query.Length;
        Search(0, 1, ref state);
        return (Math.Max(0, state.BestId), state.Best, state.Budget <= 0);
    }

    private struct SearchState(string query, Buffers buffers, int budget, int best)
    {
        public readonly string Query = query;
        public readonly int[] Rows = buffers.Rows;
        public readonly int[] Lo = buffers.Lo;
        public readonly int[] Hi = buffers.Hi;
        public int Budget = budget;
        public int Best = best;
        public int BestId = -1;
    }

    private void Search(int parent, int depth, ref SearchState s)
    {
        var q = s.Query;
        var length = q.Length;
        var width = length + 1;
        var prev = (depth - 1) * width;
        var cur = depth * width;
        int pLo = s.Lo[depth - 1], pHi = s.Hi[depth - 1];
        var rows = s.Rows;
        for (var child = _firstChild[parent]; child >= 0; child = _nextSibling[child])
        {
            if (--s.Budget <= 0) return;
            var cap = s.Best;
            int lo = Math.Max(0, depth - cap + 1), hi = Math.Min(length, depth + cap - 1);
            if (lo > hi) continue;
            var c = _label[child];
            var rowMin = cap;
            for (var i = lo; i <= hi; i++)
            {
                var v = cap;
                if (i >= pLo && i <= pHi) v = Math.Min(v, rows[prev + i] + 1);
                if (i > lo) v = Math.Min(v, rows[cur + i - 1] + 1);
                if (i >= 1 && i - 1 >= pLo && i - 1 <= pHi) v = Math.Min(v, rows[prev + i - 1] + (q[i - 1] == c ? 0 : 1));
                rows[cur + i] = v;
                if (v < rowMin) rowMin = v;
            }
            s.Lo[depth] = lo;
            s.Hi[depth] = hi;
            if (_tokenId[child] >= 0 && hi == length && rows[cur + length] < s.Best)
            {
                s.Best = rows[cur + length];
                s.BestId = _tokenId[child];
            }
            if (rowMin < s.Best && _firstChild[child] >= 0) Search(child, depth + 1, ref s);
        }
    }
}
