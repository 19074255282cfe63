using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// <c>unite</c> (UniTE): each member's top-<c>union-k</c> pieces (k = 10) are normalised (▁ → Ġ, newline byte
/// tokens → "\n") and united; each member scores every union piece (its own log-prob when it is in its top-k,
/// else the piece's token in its vocabulary, else the first sub-token of its text); each member's scores are
/// softmaxed over the union and averaged (1/K); the union pieces are mapped to main ids the same way.
/// The result is over the union only: every other main token is −∞ (UniTE decodes greedily inside it).
/// With top-k members, a piece outside a member's top-k gets that member's flat tail estimate (approximate);
/// the reference reads full logits, which is the default.
/// </summary>
public sealed class UniteMethod(int topK, int unionK) : FusionMethod(FusionMethods.Unite, new MethodRequirements(topK, VocabularyAlignment.StringUnion))
{
    protected override FusionSession CreateSession(PreparedPack pack)
    {
        if (topK > 0 && topK < unionK)
            throw new FusionPackException($"'unite' unites each member's top-{unionK}, so members must send at least that many (top-k={topK}); raise top-k or lower union-k");
        return new Session(pack, Requirements, unionK);
    }

    private sealed class Session : FusionSession
    {
        private readonly UnionVocabulary[] _vocabularies;
        private readonly int _unionK;
        private readonly List<string> _union;
        private readonly Dictionary<string, int> _unionIndex;
        private readonly float[] _scores;
        private readonly float[] _average;
        private readonly int[] _topIds;
        private readonly float[] _topValues;
        private readonly float[] _weights;

        public Session(PreparedPack pack, MethodRequirements requirements, int unionK) : base(pack, requirements)
        {
            _unionK = unionK;
            _vocabularies = new UnionVocabulary[pack.Count];
            for (var k = 0; k < pack.Count; k++) _vocabularies[k] = new UnionVocabulary(pack.Members[k].Vocabulary);
            var capacity = unionK * pack.Count;
            _union = new List<string>(capacity);
            _unionIndex = new Dictionary<string, int>(capacity, StringComparer.Ordinal);
            _scores = new float[capacity];
            _average = new float[capacity];
            _topIds = new int[unionK];
            _topValues = new float[unionK];
            _weights = new float[pack.Count];
            Array.Fill(_weights, 1f / pack.Count);
        }

        public override ReadOnlySpan<float> PreparedWeights => _weights;

        protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
        {
            _union.Clear();
            _unionIndex.Clear();
            for (var k = 0; k < distributions.Count; k++)
            {
                var top = Top(distributions[k]);
                for (var i = 0; i < top.Length; i++)
                {
                    var piece = _vocabularies[k].Index.CanonicalOf(top[i]);
                    if (_unionIndex.TryAdd(piece, _union.Count)) _union.Add(piece);
                }
            }
            var n = _union.Count;
            var average = _average.AsSpan(0, n);
            average.Clear();
            var scores = _scores.AsSpan(0, n);
            for (var k = 0; k < distributions.Count; k++)
            {
                var d = distributions[k];
                var tail = d.IsFull ? LogSpace.Floor : LogSpace.TailLogProb(d);
                for (var u = 0; u < n; u++)
                {
                    var id = _vocabularies[k].Resolve(_union[u]);
                    scores[u] = id < 0 ? LogSpace.Floor : d.TryGetLogProb(id, out var lp) ? Math.Max(LogSpace.Floor, lp) : tail;
                }
                LogSpace.LogSoftmaxInPlace(scores);
                TensorPrimitives.Exp(scores, scores);
                TensorPrimitives.MultiplyAdd(scores, _weights[k], average, average);
            }
            var output = Step.LogProbsBuffer;
            output.Fill(float.NegativeInfinity);
            var main = _vocabularies[MainMember];
            float spelled = 0; // mass of the pieces the main vocabulary can spell; the result is renormalised over it
            for (var u = 0; u < n; u++) if (main.Resolve(_union[u]) >= 0) spelled += average[u];
            for (var u = 0; u < n; u++)
            {
                var id = main.Resolve(_union[u]);
                if (id < 0) continue;
                var p = average[u] / spelled;
                output[id] = float.IsNegativeInfinity(output[id]) ? MathF.Log(p) : MathF.Log(MathF.Exp(output[id]) + p);
            }
            _weights.CopyTo(Step.WeightsBuffer);
            return Step;
        }

        // The member's top union-k ids: selected from full logits into a pooled buffer, or the head of its top-k.
        private ReadOnlySpan<int> Top(TokenDistribution d)
        {
            if (!d.IsFull) return d.TopTokens[..Math.Min(_unionK, d.TopTokens.Length)];
            var count = TopKSelector.Select(d.Logits, _topIds, _topValues);
            return _topIds.AsSpan(0, count);
        }
    }
}
