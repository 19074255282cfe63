namespace Chorus.Contracts;

/// <summary>One fused generation or scoring: runs the fusion method over the members and keeps them decoding in step.</summary>
public interface IFusionSessionGrain : IGrainWithGuidKey
{
    /// <summary>Streams a fused generation; cancelling stops every member and frees their sequences.</summary>
    IAsyncEnumerable<GenerationEvent> Generate(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends the session at once: releases every slot it holds or waits for on every model. A front end calls it when its
    /// client has gone without the stream finishing, so the slots never depend on the stream's grain-side enumerator
    /// being disposed (Orleans disposes an abandoned one only after its own timeouts). Harmless after a normal end.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task End();

    /// <summary>Per-member and fused perplexity of a text.</summary>
    // a long text is scored window after window in one call (minutes on CPU): the caller's deadline and cancellation
    // bound it, not the silo's 5-minute response timeout
    [ResponseTimeout("04:00:00")]
    Task<ScoreResult> Score(ScoreRequest request, CancellationToken cancellationToken = default);
}
