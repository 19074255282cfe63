using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// The result of one fused step: normalised log-probabilities over the MAIN member's vocabulary (tokens the
/// method rules out are −∞) plus what a user wants to see about how it was fused. The session reuses this
/// object and its buffers: it is valid until the next <see cref="FusionSession.Fuse"/> call.
/// </summary>
public sealed class FusedStep
{
    private readonly float[] _logProbs;
    private readonly float[] _weights;

    internal FusedStep(int mainVocabularySize, int memberCount)
    {
        _logProbs = new float[mainVocabularySize];
        _weights = new float[memberCount];
    }

    /// <summary>log p(t) for every token t of the main vocabulary; sums (in probability) to 1.</summary>
    public ReadOnlySpan<float> LogProbs => _logProbs;

    /// <summary>Each member's coefficient in this step: its weight in an ensemble (sums to 1), 1 for the one member used, ±α in proxy-tuning/dlf.</summary>
    public ReadOnlySpan<float> MemberWeights => _weights;

    /// <summary>The strength chosen or applied (proxy-tuning, dlf); NaN when the method has none.</summary>
    public float Alpha { get; internal set; } = float.NaN;

    /// <summary>The member chosen (top1-ppl, largest, mixture, dlf's expert); −1 when none.</summary>
    public int ChosenMember { get; internal set; } = -1;

    /// <summary>False when the step took one member's distribution as is (gated above threshold, DeePEn at end-of-generation).</summary>
    public bool Ensembled { get; internal set; } = true;

    /// <summary>The method's objective at the chosen point (dlf: squared KL mismatch; deepen: final KL); NaN when none.</summary>
    public float Objective { get; internal set; } = float.NaN;

    /// <summary>The most probable fused token (lowest id on ties).</summary>
    public int ArgMax() => TensorPrimitives.IndexOfMax(_logProbs);

    internal Span<float> LogProbsBuffer => _logProbs;

    internal Span<float> WeightsBuffer => _weights;

    internal void Reset()
    {
        Array.Clear(_weights);
        Alpha = float.NaN;
        ChosenMember = -1;
        Ensembled = true;
        Objective = float.NaN;
    }
}
