namespace Chorus.Fusion;

/// <summary>One model taking part in a fused generation, as fusion sees it.</summary>
/// <param name="Name">The model id, used in messages and diagnostics.</param>
/// <param name="Vocabulary">Its vocabulary (ids of its distributions and prompt evidence are in it).</param>
/// <param name="Role">Its role (see <see cref="MemberRole"/>).</param>
public sealed record FusionMember(string Name, IVocabulary Vocabulary, MemberRole Role = MemberRole.Expert)
{
    /// <summary>Number of parameters (for <c>largest</c>); 0 when unknown.</summary>
    public long ParameterCount { get; init; }

    /// <summary>The token-embedding matrix (for <c>deepen</c>); null when not loaded.</summary>
    public TokenEmbeddings? Embeddings { get; init; }

    /// <summary>Prompts describing what this member is good at (for <c>mixture</c> with the similarity router).</summary>
    public IReadOnlyList<string>? DescriptionPrompts { get; init; }
}
