namespace Chorus.Client.Eval;

/// <summary>A member scored alone on a text set (its own tokenization), aggregated over the windows; bits per byte over <paramref name="Bytes"/>.</summary>
public sealed record MemberAlone(string Model, double Perplexity, int Tokens, long Bytes, double BitsPerByte);

/// <summary>A fusion method on a text set: perplexity over all scored tokens, bits per byte over their bytes, and the members' mean weights.</summary>
public sealed record MethodScore(string Method, double Perplexity, int Tokens, IReadOnlyList<double> MeanWeights, long Bytes, double BitsPerByte)
{
    /// <summary>The method's diagnostics summed over the windows (byte: decodes, forks, the pruning bound in bits), maxima for shares and peaks; null when none.</summary>
    public IReadOnlyDictionary<string, double>? Diagnostics { get; init; }
}

/// <summary>One suite (a set of members) on one text set (a test split's windows, or the mixed text's).</summary>
public sealed record TextSetScore(string Suite, string TextSet, int Windows, IReadOnlyList<string> Members, IReadOnlyList<MemberAlone> Alone, IReadOnlyList<MethodScore> Methods)
{
    public MemberAlone BestSingle => AcrossVocabularies ? Alone.MinBy(a => a.BitsPerByte)! : Alone.MinBy(a => a.Perplexity)!;

    /// <summary>Members that cut the same text into different numbers of tokens have different vocabularies: compare them in bits per byte.</summary>
    public bool AcrossVocabularies => Alone.Select(a => a.Tokens).Distinct().Count() > 1;
}

/// <summary>Per-window member weights of one method over the mixed text (for the routing picture).</summary>
public sealed record WindowWeights(int Offset, int Length, string Domain, IReadOnlyList<double> Weights);

/// <summary>How often a router picked the expert of the prompt's domain.</summary>
public sealed record RoutingAccuracy(string Method, int Prompts, int Correct, IReadOnlyDictionary<string, DomainRouting> PerDomain)
{
    public double Accuracy => Prompts > 0 ? (double)Correct / Prompts : 0;
}

/// <summary>Routing counts of one domain's prompts.</summary>
public sealed record DomainRouting(int Prompts, int Correct);

/// <summary>Everything one <c>chorus eval</c> run measured.</summary>
public sealed record EvalReport(IReadOnlyList<TextSetScore> Scores, IReadOnlyList<RoutingAccuracy> Routing, IReadOnlyList<string> MixedMembers, IReadOnlyList<WindowWeights> MixedWeights, double Seconds);
