namespace Chorus.Contracts;

/// <summary>One fused generation or scoring: runs the fusion method over the members and keeps them decoding in step.</summary>
public interface IFusionSessionGrain : IGrainWithGuidKey
{
    /// <summary>Streams a fused generation; cancelling stops every member and frees their sequences.</summary>
    IAsyncEnumerable<GenerationEvent> Generate(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Per-member and fused perplexity of a text.</summary>
    Task<ScoreResult> Score(ScoreRequest request, CancellationToken cancellationToken = default);
}
