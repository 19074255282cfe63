namespace Chorus.Fusion;

/// <summary>What is known about one candidate member before UniTE ensembles it.</summary>
/// <param name="Name">The member's name, as reported.</param>
/// <param name="Vocabulary">Its vocabulary (only informs the report: UniTE does not gate on vocabulary).</param>
/// <param name="TaskScore">Its score on the target task in percentage points (e.g. accuracy × 100); null when unknown.</param>
/// <param name="MeanResponseLength">Its mean response length on the task's prompts (tokens or characters, the same unit for every member); null when unknown.</param>
public sealed record UniteCandidate(string Name, IVocabulary Vocabulary, double? TaskScore = null, double? MeanResponseLength = null);

/// <summary>The Determine step's verdict.</summary>
/// <param name="BaseMember">The member to ensemble around (the best task score; the first candidate when no scores are known).</param>
/// <param name="Compatible">The candidates to ensemble, base member first.</param>
/// <param name="Excluded">Each excluded candidate with the reason, in the words of the rule it broke.</param>
/// <param name="VocabularyOverlap">For each candidate, the share of its normalised pieces that the base member's vocabulary also has (information only).</param>
public sealed record UniteVerdict(
    string BaseMember,
    IReadOnlyList<string> Compatible,
    IReadOnlyDictionary<string, string> Excluded,
    IReadOnlyDictionary<string, double> VocabularyOverlap)
{
    /// <summary>True when at least two candidates remain, so that there is an ensemble to run.</summary>
    public bool CanEnsemble => Compatible.Count >= 2;
}

/// <summary>
/// UniTE's Determine step (Yao et al., ICLR 2025, "Determine-Then-Ensemble"): before ensembling, decide which
/// candidates are compatible with the base model. A pure function: the cluster does not call it (yet); a caller with
/// task scores and response lengths decides its pack with it, then runs <see cref="UniteMethod"/>.
/// </summary>
/// <remarks>
/// The paper's rules, as its analysis states them:
/// <list type="bullet">
/// <item>Performance: ensembling helps only when the members' task performance is within about 10 points
/// (pairs 40, 25, 15 points apart hurt the stronger model; "within 10%" may gain) — <see cref="MaxPerformanceGap"/>,
/// measured from the best member, which becomes the base.</item>
/// <item>Response style: members whose responses differ markedly (one answers directly, one analyses at length)
/// should not be ensembled; the paper asks that response lengths "match reasonably" and gives no number. The ratio
/// <see cref="MaxResponseLengthRatio"/> = 2 is this implementation's reading, not the paper's constant.</item>
/// <item>Vocabulary: the paper finds vocabulary size has little effect (32k to 102k vocabularies ensemble alike; common
/// words tokenize with over 90% overlap), so vocabulary never excludes a member; the overlap is only reported.</item>
/// </list>
/// Evidence that is missing (a null score or length) does not exclude anyone: only a known violation does.
/// </remarks>
public static class UniteCompatibility
{
    /// <summary>The largest task-score gap, in percentage points, from the base member (UniTE §2: within 10%).</summary>
    public const double MaxPerformanceGap = 10;

    /// <summary>The largest ratio of mean response lengths (longer ÷ shorter) to the base member; ours, see remarks.</summary>
    public const double MaxResponseLengthRatio = 2;

    /// <summary>Decides which candidates UniTE should ensemble; the base member is the one with the best task score.</summary>
    public static UniteVerdict Determine(IReadOnlyList<UniteCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("UniTE's Determine step needs at least one candidate member", nameof(candidates));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in candidates)
            if (!names.Add(c.Name)) throw new ArgumentException($"candidate '{c.Name}' is listed twice; give each member once", nameof(candidates));
        var best = candidates[0];
        foreach (var c in candidates)
            if (c.TaskScore is { } score && (best.TaskScore is not { } held || score > held)) best = c;

        var compatible = new List<string> { best.Name };
        var excluded = new Dictionary<string, string>(StringComparer.Ordinal);
        var overlap = new Dictionary<string, double>(StringComparer.Ordinal);
        var basePieces = Pieces(best.Vocabulary);
        foreach (var c in candidates)
        {
            overlap[c.Name] = Overlap(Pieces(c.Vocabulary), basePieces);
            if (ReferenceEquals(c, best)) continue;
            if (best.TaskScore is { } top && c.TaskScore is { } score && top - score > MaxPerformanceGap)
                excluded[c.Name] = $"task score {score:G4} is {top - score:G3} points below '{best.Name}' ({top:G4}); UniTE ensembles members within {MaxPerformanceGap} points";
            else if (LengthRatio(best.MeanResponseLength, c.MeanResponseLength) is { } ratio && ratio > MaxResponseLengthRatio)
                excluded[c.Name] = $"mean response length {c.MeanResponseLength:G4} vs '{best.Name}' {best.MeanResponseLength:G4} (×{ratio:G3}); UniTE ensembles members whose response styles match (ratio ≤ {MaxResponseLengthRatio})";
            else compatible.Add(c.Name);
        }
        return new UniteVerdict(best.Name, compatible, excluded, overlap);
    }

    private static double? LengthRatio(double? a, double? b)
    {
        if (a is not { } x || b is not { } y || x <= 0 || y <= 0) return null;
        return Math.Max(x, y) / Math.Min(x, y);
    }

    private static HashSet<string> Pieces(IVocabulary vocabulary)
    {
        var pieces = new HashSet<string>(vocabulary.Count, StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Count; id++) pieces.Add(TokenText.Canonical(vocabulary.TokenText(id)));
        return pieces;
    }

    private static double Overlap(HashSet<string> pieces, HashSet<string> basePieces)
    {
        if (pieces.Count == 0) return 0;
        var shared = 0;
        foreach (var p in pieces) if (basePieces.Contains(p)) shared++;
        return (double)shared / pieces.Count;
    }
}
