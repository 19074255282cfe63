namespace Chorus.Fusion;

/// <summary>
/// The prompt loss of a logit mixture Σ λ_k z_k, evaluated on the main member's tokenization of the prompt from
/// each member's per-position prompt distributions (PackLLM-opt's objective).
/// </summary>
/// <remarks>
/// <para>The reference mixes logits, not probabilities, so with Σ λ_k = 1 the loss at a position is
/// −Σ_k λ_k log p_k(x) + log Σ_v Π_k p_k(v)^λ_k. The first term is exact: each member's own prompt log-prob of the
/// token (its evidence), whatever its top-k kept. The second, the mixture's log-partition, needs every token of the
/// vocabulary; it is exact when the support covers the vocabulary (<c>support</c> ≥ |V|, which the cluster honours
/// through <see cref="MethodRequirements.PromptPositionsTopK"/>). With a smaller support each position keeps the union
/// of the members' top-<c>support</c> tokens and the prompt token, and treats the rest as one flat tail per member
/// carrying its remaining mass r_k. That tail gives Π_k r_k^λ_k, Hölder's upper bound on the true Σ_tail Π_k p_k^λ_k:
/// exact at one-hot λ, too large for every mixture, so the approximated search leans toward one-hot weights
/// (measured in PackLlmOptObjectiveTests and docs/quality.md).</para>
/// <para>A member with another tokenization contributes at the main positions where one of its tokens starts at the
/// same character offset (positions where some member has none are skipped for every candidate, so candidates stay
/// comparable); its distribution there is read through the MinED map, as the fusion reads it at each step. Its
/// first-term value is its exact own log-prob only where its token at that offset is the member token the main token
/// maps to; elsewhere it is the mapped token's log-prob in its top-k, or the tail — the probability of a different
/// piece of text, an approximation the reference shares (it feeds members the MinED-mapped main tokens instead).</para>
/// </remarks>
internal sealed class PromptMixtureLoss
{
    private readonly List<Position> _positions = [];
    private readonly int _members;
    private readonly double[] _mixed;
    private double[] _dense = [];

    public PromptMixtureLoss(PreparedPack pack, int support)
    {
        _members = pack.Count;
        var main = pack.Evidence![pack.MainIndex];
        var cursors = new int[pack.Count];
        for (var i = 0; i < main.TokenIds.Count; i++)
        {
            if (main.Positions![i] is null) continue;
            var offset = main.CharOffsets[i];
            var aligned = new TokenDistribution[pack.Count];
            var targetLogProbs = new double[pack.Count];
            var complete = true;
            for (var k = 0; k < pack.Count && complete; k++)
            {
                var evidence = pack.Evidence[k];
                while (cursors[k] < evidence.CharOffsets.Count && evidence.CharOffsets[cursors[k]] < offset) cursors[k]++;
                complete = cursors[k] < evidence.CharOffsets.Count && evidence.CharOffsets[cursors[k]] == offset
                    && evidence.Positions![cursors[k]] is not null;
                if (!complete) break;
                aligned[k] = evidence.Positions![cursors[k]]!;
                // The member's own log-prob of its prompt token is exact whatever the top-k kept; it is the
                // probability the MinED lookup reads when that token is the one the main token maps to.
                var read = pack.Projection(k).Map is { } map ? map.ToMember[main.TokenIds[i]] : main.TokenIds[i];
                var own = evidence.LogProbs[cursors[k]];
                targetLogProbs[k] = evidence.TokenIds[cursors[k]] == read && !float.IsNaN(own) ? own : double.NaN;
            }
            if (complete) _positions.Add(Build(pack, aligned, targetLogProbs, main.TokenIds[i], support));
        }
        var largest = 0;
        foreach (var p in _positions) largest = Math.Max(largest, p.Support.Length);
        _mixed = new double[largest];
    }

    /// <summary>Number of prompt positions the loss averages over.</summary>
    public int PositionCount => _positions.Count;

    /// <summary>Mean −log softmax(Σ λ_k z_k)[x_i] over the aligned positions; NaN when none aligned.</summary>
    public double Evaluate(ReadOnlySpan<double> lambda)
    {
        if (_positions.Count == 0) return double.NaN;
        double total = 0;
        foreach (var p in _positions)
        {
            var count = p.Support.Length;
            var max = double.NegativeInfinity;
            var mixed = _mixed;
            for (var s = 0; s < count; s++)
            {
                double v = 0;
                for (var k = 0; k < _members; k++) if (lambda[k] != 0) v += lambda[k] * p.Values[s * _members + k];
                mixed[s] = v;
                max = Math.Max(max, v);
            }
            double tail = 0;
            if (p.Rest > 0)
            {
                tail = Math.Log(p.Rest);
                for (var k = 0; k < _members; k++) if (lambda[k] != 0) tail += lambda[k] * p.TailLogProbs[k];
                max = Math.Max(max, tail);
            }
            double sum = 0;
            for (var s = 0; s < count; s++) sum += Math.Exp(mixed[s] - max);
            if (p.Rest > 0) sum += Math.Exp(tail - max);
            total += max + Math.Log(sum) - mixed[p.Target];
        }
        return total / _positions.Count;
    }

    private Position Build(PreparedPack pack, TokenDistribution[] aligned, double[] targetLogProbs, int target, int support)
    {
        var set = new List<int>();
        var seen = new HashSet<int>();
        void Add(int t) { if (seen.Add(t)) set.Add(t); }
        Add(target);
        for (var k = 0; k < pack.Count; k++)
        {
            var top = aligned[k].IsFull ? aligned[k].ToTopK(support) : aligned[k];
            var map = pack.Projection(k).Map;
            var ids = top.TopTokens;
            for (var i = 0; i < Math.Min(support, ids.Length); i++)
            {
                if (map is null) { Add(ids[i]); continue; }
                var mains = map.MainTokensOf(ids[i]);
                for (var m = 0; m < Math.Min(8, mains.Length); m++) Add(mains[m]);
            }
        }
        var values = new double[set.Count * _members];
        var tails = new double[_members];
        for (var k = 0; k < pack.Count; k++)
        {
            var d = aligned[k];
            var map = pack.Projection(k).Map;
            var known = Dense(d);
            double inside = 0;
            for (var s = 0; s < set.Count; s++)
            {
                var token = map is null ? set[s] : map.ToMember[set[s]];
                var lp = s == 0 && !double.IsNaN(targetLogProbs[k]) ? targetLogProbs[k]
                    : map is not null && map.IsUnmatched(set[s]) ? LogSpace.Floor : known[token];
                values[s * _members + k] = Math.Max(LogSpace.Floor, lp);
                inside += Math.Exp(lp);
            }
            var rest = pack.MainVocabularySize - set.Count;
            var tailMass = Math.Max(0, 1 - inside);
            tails[k] = rest > 0 && tailMass > 0 ? Math.Max(LogSpace.Floor, Math.Log(tailMass / rest)) : LogSpace.Floor;
        }
        return new Position([.. set], values, tails, Math.Max(0, pack.MainVocabularySize - set.Count), 0);
    }

    // The member's log-prob of every token at one position (its top-k's tail average outside the top-k): one pass
    // over the vocabulary, where a lookup per support token would cost |support| × k at a full-vocabulary support.
    private double[] Dense(TokenDistribution d)
    {
        if (_dense.Length < d.VocabularySize) _dense = new double[d.VocabularySize];
        var dense = _dense;
        if (d.IsFull)
        {
            var logits = d.Logits;
            var lse = d.LogSumExp;
            for (var t = 0; t < logits.Length; t++) dense[t] = logits[t] - lse;
            return dense;
        }
        Array.Fill(dense, LogSpace.TailLogProb(d), 0, d.VocabularySize);
        var ids = d.TopTokens;
        var lps = d.TopLogProbs;
        for (var i = 0; i < ids.Length; i++) dense[ids[i]] = lps[i];
        return dense;
    }

    private sealed record Position(int[] Support, double[] Values, double[] TailLogProbs, int Rest, int Target);
}
