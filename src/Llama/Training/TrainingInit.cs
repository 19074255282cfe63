using Chorus.Llama.Forge;

namespace Chorus.Llama.Training;

/// <summary>The starting point that trains (TRAINING.md): N(0, 0.02) weights, residual projections scaled by 1/√(2·layers), unit norms, F32.</summary>
public static class TrainingInit
{
    /// <summary>A from-scratch model spec: the synthetic forge's layout with the output matrix at std 0.02 (LogitStd = 0.02·√embd).</summary>
    public static SyntheticModelSpec Spec(string vocabulary, int layers, int embedding, int heads, int feedForward, int contextLength, ulong seed, string? name = null) =>
        new(vocabulary, layers, embedding, heads, heads, feedForward, contextLength, SyntheticWeightType.F32, seed)
        {
            LogitStd = 0.02 * Math.Sqrt(embedding),
            Name = name,
        };
}
