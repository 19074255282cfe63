namespace Chorus.Fusion;

/// <summary>How a token is drawn from a fused distribution. Temperature 0 (or top-k 1) is greedy.</summary>
public sealed record SamplerOptions
{
    /// <summary>Scales log-probs by 1/T before sampling; 0 is greedy.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most probable tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most probable tokens whose mass reaches p; 0 or 1 keeps all (0 = off, as in the API).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less probable than min-p × the top token's probability; 0 keeps all.</summary>
    public float MinP { get; init; }

    /// <summary>Seed of the generator; the same seed and inputs give the same tokens.</summary>
    public ulong Seed { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplerOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Throws with the fix when an option is out of range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new FusionParameterException($"temperature must be a finite number ≥ 0 (0 is greedy), got {Temperature}");
        if (TopK < 0) throw new FusionParameterException($"top-k must be ≥ 0 (0 keeps every token), got {TopK}");
        if (!(TopP >= 0 && TopP <= 1)) throw new FusionParameterException($"top-p must be in [0, 1] (0 or 1 keeps every token), got {TopP}");
        if (!(MinP >= 0 && MinP <= 1)) throw new FusionParameterException($"min-p must be in [0, 1] (0 keeps every token), got {MinP}");
    }
}
