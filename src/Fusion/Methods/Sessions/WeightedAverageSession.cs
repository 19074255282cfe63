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
            Pack.Projection(k).Write(distributions[k], _view, _scratch);
            TensorPrimitives.Exp(_view, _view);
            TensorPrimitives.MultiplyAdd(_view, _weights[k], output, output);
        }
        TensorPrimitives.Log(output, output);
        LogSpace.LogSoftmaxInPlace(output, _scratch); // absorbs rounding so the result sums to 1
        _weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }
}
