using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// <c>unite</c> (UniTE): each member's top-<c>union-k</c> pieces (k = 10) are normalised (▁ → Ġ, newline byte
/// tokens → "\n") and united; each member scores every union piece (its own log-prob when it is in its top-k,
/// else the piece's token in its vocabulary, else the first sub-token of its text); each member's scores are
/// softmaxed over the union and averaged (1/K); the union pieces are mapped to main ids the same way, and when
/// several pieces land on one main id it takes the max of their probabilities (as the reference does), not the sum.
/// UniTE's Determine step (are these members compatible at all?) is <see cref="UniteCompatibility.Determine"/>, a
/// pure function run before a pack is formed; this method does not call it.
/// The result is over the union only: every other main token is −∞ (UniTE decodes greedily inside it).
/// With top-k members, a piece outside a member's top-k gets that member's flat tail estimate (approximate);
/// the reference reads full logits, which is the default.
/// Deviation, opt-in: <c>floor</c> = ε &gt; 0 mixes the main member's own distribution in with weight ε,
/// p = (1 − ε) p_union + ε p_main, so that scoring a text gives every token a finite probability (the paper's UniTE,
/// ε = 0, the default, gives tokens outside the union probability 0: an infinite perplexity when one is scored).
/// A small ε leaves the greedy choice inside the union.
/// </summary>
public sealed class UniteMethod(int topK, int unionK, double floor = 0)
    : FusionMethod(FusionMethods.Unite, new MethodRequirements(topK, VocabularyAlignment.StringUnion))
{
    protected override FusionSession CreateSession(PreparedPack pack)
    {
        if (topK > 0 && topK < unionK)
            throw new FusionPackException($"'unite' unites each member's top-{unionK}, so members must send at least that many (top-k={topK}); raise top-k or lower union-k");
        return new Session(pack, Requirements, unionK, (float)floor);
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
        private readonly float _floor;
        private readonly float[] _mainLogProbs;
        private readonly List<int> _resolved;

        public Session(PreparedPack pack, MethodRequirements requirements, int unionK, float floor) : base(pack, requirements)
        {
            _unionK = unionK;
            _floor = floor;
            _mainLogProbs = floor > 0 ? new float[pack.MainVocabularySize] : [];
            _vocabularies = new UnionVocabulary[pack.Count];
            for (var k = 0; k < pack.Count; k++) _vocabularies[k] = new UnionVocabulary(pack.Members[k].Vocabulary);
            var capacity = unionK * pack.Count;
            _union = new List<string>(capacity);
            _resolved = new List<int>(capacity);
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
            // Several pieces can resolve to one main id (a piece outside the main vocabulary falls back to its first
            // sub-token, which may be in the union too). The reference keeps the max of their probabilities, not the
            // sum: they are alternative readings of one token, and summing would credit it with every other
            // spelling's mass. Linear probabilities first (≥ 0 > −∞), then renormalised over the ids kept.
            _resolved.Clear();
            float spelled = 0; // mass the main vocabulary keeps; the result is renormalised over it
            for (var u = 0; u < n; u++)
            {
                var id = main.Resolve(_union[u]);
                if (id < 0) continue;
                var held = output[id];
                if (float.IsNegativeInfinity(held)) { _resolved.Add(id); held = 0; output[id] = 0; }
                if (average[u] > held) { spelled += average[u] - held; output[id] = average[u]; }
            }
            foreach (var id in _resolved) output[id] = MathF.Log(output[id] / spelled);
            if (_floor > 0) MixInMain(distributions[MainMember], output);
            _weights.CopyTo(Step.WeightsBuffer);
            return Step;
        }

        // log((1 − ε) e^output + ε p_main), token by token, in log space.
        private void MixInMain(TokenDistribution main, Span<float> output)
        {
            LogSpace.WriteLogProbs(main, _mainLogProbs);
            if (!main.IsFull) LogSpace.LogSoftmaxInPlace(_mainLogProbs); // the tail estimate is only nearly normalised
            var keep = MathF.Log(1 - _floor);
            var mix = MathF.Log(_floor);
            for (var t = 0; t < output.Length; t++)
            {
                var a = output[t] + keep;
                var b = _mainLogProbs[t] + mix;
                var max = MathF.Max(a, b);
                output[t] = float.IsNegativeInfinity(max) ? max : max + MathF.Log(MathF.Exp(a - max) + MathF.Exp(b - max));
            }
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
