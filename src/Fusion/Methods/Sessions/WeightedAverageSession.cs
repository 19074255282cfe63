using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>Probability averaging: p = Σ w_k p_k over the main vocabulary (uniform ensemble, gated's default inner).</summary>
internal sealed class WeightedAverageSession(PreparedPack pack, MethodRequirements requirements, float[] weights)
    : WeightedMembersSession(pack, requirements, weights)
{
    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions)
    {
        var output = Step.LogProbsBuffer;
        output.Clear();
        for (var k = 0; k < distributions.Count; k++)
        {
            if (Weights[k] == 0) continue;
            var d = distributions[k];
            var projection = Pack.Projection(k);
            if (projection.IsDirect && !d.IsFull)
            {
                // A top-k member is a flat tail plus k spikes: one scalar add over the vocabulary, then the spikes.
                var tail = LogSpace.TailLogProb(d);
                var tailP = tail <= LogSpace.Floor ? 0f : MathF.Exp(tail);
                TensorPrimitives.Add(output, Weights[k] * tailP, output);
                var ids = d.TopTokens;
                var lps = d.TopLogProbs;
                for (var i = 0; i < ids.Length; i++) output[ids[i]] += Weights[k] * (MathF.Exp(lps[i]) - tailP);
                continue;
            }
            projection.Write(d, View, Scratch);
            TensorPrimitives.Exp(View, View);
            TensorPrimitives.MultiplyAdd(View, Weights[k], output, output);
        }
        // Normalise in probability space (absorbs rounding), then one log pass.
        TensorPrimitives.Multiply(output, 1f / TensorPrimitives.Sum(output), output);
        TensorPrimitives.Log(output, output);
        Weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }
}
