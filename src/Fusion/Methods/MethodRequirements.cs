namespace Chorus.Fusion;

/// <summary>How a method copes with members whose vocabularies differ.</summary>
public enum VocabularyAlignment
{
    /// <summary>All members must share the main vocabulary (same content hash).</summary>
    SameVocabulary,

    /// <summary>Other vocabularies are re-indexed onto the main one through MinED maps.</summary>
    MinEditDistance,

    /// <summary>UniTE: the union of the members' top-k pieces, looked up or tokenized in each vocabulary.</summary>
    StringUnion,

    /// <summary>DeePEn: distributions meet in the relative space spanned by shared anchor tokens.</summary>
    RelativeSpace,

    /// <summary>Only one member's distribution is used per request (it is projected onto the main vocabulary by MinED if it differs).</summary>
    SingleMember,

    /// <summary>Method <c>byte</c>: every member's next-byte distribution, exact from its own tokens; no token mapping at all.</summary>
    Bytes,
}

/// <summary>What a method needs from the cluster; read it before opening member sequences.</summary>
/// <param name="TopK">How many top tokens each member must send per step; 0 means full logits.</param>
/// <param name="Alignment">How different vocabularies are handled.</param>
/// <param name="NeedsPromptEvidence">Per-member prompt log-probs are required at prepare.</param>
/// <param name="NeedsPromptDistributions">Per-position prompt distributions are required at prepare (packllm-opt).</param>
/// <param name="NeedsEmbeddings">Token-embedding matrices are required (deepen).</param>
/// <param name="NeedsPromptText">The prompt text is required (mixture's similarity router).</param>
/// <param name="PromptPositionsTopK">With <paramref name="NeedsPromptDistributions"/>: how many top tokens of each prompt
/// position's distribution the method reads (at least the vocabulary size makes them exact).</param>
public sealed record MethodRequirements(
    int TopK,
    VocabularyAlignment Alignment,
    bool NeedsPromptEvidence = false,
    bool NeedsPromptDistributions = false,
    bool NeedsEmbeddings = false,
    bool NeedsPromptText = false,
    int PromptPositionsTopK = 0)
{
    /// <summary>Members must send full logits every step.</summary>
    public bool NeedsFullLogits => TopK == 0;

    /// <summary>Members may have vocabularies different from the main one.</summary>
    public bool AllowsDifferentVocabularies => Alignment != VocabularyAlignment.SameVocabulary;
}
