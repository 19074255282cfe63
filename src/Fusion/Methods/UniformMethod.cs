namespace Chorus.Fusion;

/// <summary><c>uniform</c>: p = (1/K) Σ p_k, or Σ w_k p_k with explicit <c>weights</c>; other vocabularies through MinED.</summary>
public sealed class UniformMethod(int topK, float[]? weights) : FusionMethod(FusionMethods.Uniform, new MethodRequirements(topK, VocabularyAlignment.MinEditDistance))
{
    protected override FusionSession CreateSession(PreparedPack pack) =>
        new WeightedAverageSession(pack, Requirements, ResolveWeights(pack, weights, Name));

    /// <summary>The given weights checked against the member count, or 1/K each.</summary>
    internal static float[] ResolveWeights(PreparedPack pack, float[]? weights, string method)
    {
        if (weights is null)
        {
            var uniform = new float[pack.Count];
            Array.Fill(uniform, 1f / pack.Count);
            return uniform;
        }
        if (weights.Length != pack.Count)
            throw new FusionPackException($"'{method}' got {weights.Length} weights for {pack.Count} members; give one weight per member, in member order");
        return (float[])weights.Clone();
    }
}
