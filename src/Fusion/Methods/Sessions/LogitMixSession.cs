using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>PackLLM's fusion: z = Σ λ_k z_k, then softmax. Member log-probs stand in for logits (they differ by a constant per member, which softmax ignores).</summary>
internal sealed class LogitMixSession : FusionSession
{
    private readonly float[] _weights;
    private readonly float[] _view;
    private readonly float[] _scratch;

    public LogitMixSession(PreparedPack pack, MethodRequirements requirements, float[] weights) : base(pack, requirements)
    {
        _weights = weights;
        _view = new float[pack.MainVocabularySize];
        _scratch = new float[pack.MainVocabularySize];
    }

    public override ReadOnlySpan<float> PreparedWeights => _weights;

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        var output = Step.LogProbsBuffer;
        output.Clear();
        for (var k = 0; k < distributions.Count; k++)
        {
            if (_weights[k] == 0) continue;
            var d = distributions[k];
            var projection = Pack.Projection(k);
            if (projection.IsDirect && !d.IsFull)
            {
                // A top-k member is its flat tail value everywhere except k entries: one scalar add, then the entries.
                var tail = LogSpace.TailLogProb(d);
                TensorPrimitives.Add(output, _weights[k] * tail, output);
                var ids = d.TopTokens;
                var lps = d.TopLogProbs;
                for (var i = 0; i < ids.Length; i++) output[ids[i]] += _weights[k] * (Math.Max(LogSpace.Floor, lps[i]) - tail);
                continue;
            }
            projection.Write(d, _view, _scratch);
            TensorPrimitives.MultiplyAdd(_view, _weights[k], output, output);
        }
        LogSpace.LogSoftmaxInPlace(output, _scratch);
        _weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }
}
