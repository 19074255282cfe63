namespace Chorus.Llama.Merging;

/// <summary>A candidate of a merge plan and its held-out score (bits per byte; lower is better).</summary>
public sealed record MergeCandidate(string Path, double BitsPerByte);

/// <summary>One greedy round: the current model merged with <paramref name="Candidate"/> at weights [c, 1 − c]; kept when not worse.</summary>
public sealed record MergeRound(string Candidate, double Coefficient, double BitsPerByte, bool Kept, string? Path);

/// <summary>A family of candidates whose weights are alike (cosine above the threshold to its head, the best-scoring member).</summary>
public sealed record MergeFamily(IReadOnlyList<string> Members, IReadOnlyList<double> SimilarityToHead, IReadOnlyList<MergeRound> Rounds, string Result, double ResultBitsPerByte);

/// <summary>What <see cref="MergePlanner"/> found: the candidates best first, the families and their greedy merges.</summary>
public sealed record MergePlan(IReadOnlyList<MergeCandidate> Candidates, IReadOnlyList<MergeFamily> Families, TimeSpan Elapsed);

/// <summary>How to plan: the merge method (and its base), the similarity threshold, Model-GLUE's optional coefficient search.</summary>
public sealed record MergePlanOptions(string WorkDirectory)
{
    public MergeMethod Method { get; init; } = MergeMethod.Linear;
    public string? BaseModel { get; init; }
    /// <summary>null: the method's default (<see cref="MergeMethods.DefaultDensity"/>).</summary>
    public double? Density { get; init; }
    public ulong Seed { get; init; } = 1;

    /// <summary>Model-GLUE's clustering threshold on the mean per-column cosine.</summary>
    public double SimilarityThreshold { get; init; } = 0.95;

    /// <summary>Try c ∈ {0.1 … 0.9} each round instead of the running average c = (k+1)/(k+2).</summary>
    public bool SearchCoefficients { get; init; }
    public Forge.SyntheticWeightType Type { get; init; } = Forge.SyntheticWeightType.F16;
}
