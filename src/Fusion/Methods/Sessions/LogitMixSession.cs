using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>PackLLM's fusion: z = Σ λ_k z_k, then softmax. Member log-probs stand in for logits (they differ by a constant per member, which softmax ignores).</summary>
internal sealed class LogitMixSession(PreparedPack pack, MethodRequirements requirements, float[] weights)
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
                // A top-k member is its flat tail value everywhere except k entries: one scalar add, then the entries.
                var tail = LogSpace.TailLogProb(d);
                TensorPrimitives.Add(output, Weights[k] * tail, output);
                var ids = d.TopTokens;
                var lps = d.TopLogProbs;
                for (var i = 0; i < ids.Length; i++) output[ids[i]] += Weights[k] * (Math.Max(LogSpace.Floor, lps[i]) - tail);
                continue;
            }
            projection.Write(d, View, Scratch);
            TensorPrimitives.MultiplyAdd(View, Weights[k], output, output);
        }
        LogSpace.LogSoftmaxInPlace(output, Scratch);
        Weights.CopyTo(Step.WeightsBuffer);
        return Step;
    }
}
