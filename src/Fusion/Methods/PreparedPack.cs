namespace Chorus.Fusion;

/// <summary>The validated members of one request, with the main member found and vocabularies aligned as the method needs.</summary>
public sealed class PreparedPack
{
    private readonly MemberProjection?[] _projections;

    private PreparedPack(FusionRequest request, int mainIndex, MemberProjection?[] projections, VocabularyMapCache maps)
    {
        Request = request;
        Members = request.Members;
        Evidence = request.Evidence;
        PromptText = request.PromptText;
        MainIndex = mainIndex;
        _projections = projections;
        Maps = maps;
    }

    private FusionRequest Request { get; }

    public IReadOnlyList<FusionMember> Members { get; }

    public IReadOnlyList<PromptEvidence>? Evidence { get; }

    public string PromptText { get; }

    /// <summary>The map cache used (the request's, or a private one).</summary>
    public VocabularyMapCache Maps { get; }

    /// <summary>
    /// Index of the member whose vocabulary the fused distribution is over: the main member, or the member a method
    /// chose as its reference (PackLLM's <c>reference=best</c>, see <see cref="WithReference"/>).
    /// </summary>
    public int MainIndex { get; }

    public FusionMember Main => Members[MainIndex];

    public int Count => Members.Count;

    public int MainVocabularySize => Main.Vocabulary.Count;

    /// <summary>Projection of member k onto the main vocabulary (only for MinED-aligned and single-member methods).</summary>
    public MemberProjection Projection(int member) => _projections[member]
        ?? throw new InvalidOperationException($"member {member} has no projection: this method does not align through MinED");

    /// <summary>True when member k's vocabulary is the main one.</summary>
    public bool SharesMainVocabulary(int member) => SameVocabulary(Members[member].Vocabulary, Main.Vocabulary);

    /// <summary>
    /// The same members and evidence with member <paramref name="reference"/>'s vocabulary as the one fused in: every
    /// other member is MinED-mapped onto it (the roles stay as they are). Only for MinED-aligned methods.
    /// </summary>
    internal PreparedPack WithReference(int reference)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reference);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(reference, Count);
        var vocabulary = Members[reference].Vocabulary;
        var projections = new MemberProjection?[Count];
        for (var i = 0; i < Count; i++)
            projections[i] = new MemberProjection(vocabulary.Count, SameVocabulary(Members[i].Vocabulary, vocabulary) ? null : Maps.Get(vocabulary, Members[i].Vocabulary));
        return new PreparedPack(Request, reference, projections, Maps);
    }

    internal static PreparedPack Create(FusionRequest request, string method, MethodRequirements requirements)
    {
        ArgumentNullException.ThrowIfNull(request);
        var members = request.Members ?? throw new FusionPackException($"fusion method '{method}' needs members");
        if (members.Count == 0) throw new FusionPackException($"fusion method '{method}' needs at least one member");
        var main = -1;
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Role != MemberRole.Main) continue;
            if (main >= 0) throw new FusionPackException($"members '{members[main].Name}' and '{members[i].Name}' are both 'main'; mark exactly one member main");
            main = i;
        }
        if (main < 0) main = 0; // ALGORITHMS.md: the main model defaults to member 0 of the pack
        CheckEvidence(request, method, requirements);
        var mainVocabulary = members[main].Vocabulary;
        var projections = new MemberProjection?[members.Count];
        var maps = request.Maps ?? new VocabularyMapCache();
        for (var i = 0; i < members.Count; i++)
        {
            var same = SameVocabulary(members[i].Vocabulary, mainVocabulary);
            if (!same && requirements.Alignment == VocabularyAlignment.SameVocabulary)
                throw new FusionPackException($"fusion method '{method}' needs one vocabulary for all members, but '{members[i].Name}' differs from main '{members[main].Name}'; use members of one model family, or a method that aligns vocabularies (uniform, packllm-sim, unite, deepen)");
            if (requirements.Alignment is VocabularyAlignment.MinEditDistance or VocabularyAlignment.SingleMember or VocabularyAlignment.SameVocabulary)
                projections[i] = new MemberProjection(mainVocabulary.Count, same ? null : maps.Get(mainVocabulary, members[i].Vocabulary));
            if (requirements.NeedsEmbeddings && members[i].Embeddings is null)
                throw new FusionPackException($"fusion method '{method}' needs the token-embedding matrix of '{members[i].Name}'; load it from the model file");
            if (members[i].Embeddings is { } e && e.Count != members[i].Vocabulary.Count)
                throw new FusionPackException($"the embedding matrix of '{members[i].Name}' has {e.Count} rows, its vocabulary {members[i].Vocabulary.Count} tokens");
        }
        return new PreparedPack(request, main, projections, maps);
    }

    private static void CheckEvidence(FusionRequest request, string method, MethodRequirements requirements)
    {
        var evidence = request.Evidence;
        if (evidence is not null && evidence.Count != request.Members.Count)
            throw new FusionPackException($"got prompt evidence for {evidence.Count} members, but there are {request.Members.Count}; pass one per member, in member order");
        if (requirements.NeedsPromptEvidence && evidence is null)
            throw new FusionPackException($"fusion method '{method}' needs each member's prompt log-probs (prompt evidence)");
        if (requirements.NeedsPromptDistributions)
            for (var i = 0; i < request.Members.Count; i++)
                if (evidence![i].Positions is null)
                    throw new FusionPackException($"fusion method '{method}' needs the per-position prompt distributions of '{request.Members[i].Name}'; collect them at prefill, or use packllm-sim");
        if (requirements.NeedsPromptText && string.IsNullOrEmpty(request.PromptText))
            throw new FusionPackException($"fusion method '{method}' needs the prompt text");
    }

    private static bool SameVocabulary(IVocabulary a, IVocabulary b) =>
        ReferenceEquals(a, b) || (a.Count == b.Count && a.ContentHash == b.ContentHash);
}
