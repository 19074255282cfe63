namespace Chorus.Fusion;

/// <summary>Everything a method may read once per request, before the first step.</summary>
public sealed class FusionRequest
{
    /// <summary>The members, in the order their step distributions will be passed to <see cref="FusionSession.Fuse"/>.</summary>
    public required IReadOnlyList<FusionMember> Members { get; init; }

    /// <summary>Prompt evidence per member (same order), when the method needs it.</summary>
    public IReadOnlyList<PromptEvidence>? Evidence { get; init; }

    /// <summary>The prompt text.</summary>
    public string PromptText { get; init; } = "";

    /// <summary>Where MinED maps come from; a private in-memory cache when null.</summary>
    public VocabularyMapCache? Maps { get; init; }
}
