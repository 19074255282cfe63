using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>Probability averaging: p = Σ w_k p_k over the main vocabulary (uniform ensemble, gated's default inner).</summary>
internal sealed class WeightedAverageSession : FusionSession
{
    private readonly float[] _weights;
    private readonly float[] _view;
    private readonly float[] _scratch;

    public WeightedAverageSession(PreparedPack pack, MethodRequirements requirements, float[] weights) : base(pack, requirements)
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
                // A top-k member is a flat tail plus k spikes: one scalar add over the vocabulary, then the spikes.
                var tail = LogSpace.TailLogProb(d);
                var tailP = tail <= LogSpace.Floor ? 0f : MathF.Exp(tail);
                TensorPrimitives.Add(output, _weights[k] * tailP, output);
                var ids = d.TopTokens;
                var lps = d.TopLogProbs;
                for (var i = 0; i < ids.Length; i++) output[ids[i]] += _weights[k] * (MathF.Exp(lps[i]) - tailP);
                continue;
            }
            projection.Write(d, _view, _scratch);
            TensorPrimitives.Exp(_view, _view);
            TensorPrimitives.MultiplyAdd(_view, _weights[k], output, output);
        }
        // Normalise in probability space (absorbs rounding), then one log pass.
        TensorPrimitives.Multiply(output, 1f / TensorPrimitives.Sum(output), output);
        TensorPrimitives.Log(output, output);
        _weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }
}
