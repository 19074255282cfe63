namespace Chorus.Contracts;

/// <summary>Checks whether a set of models can be fused well before anyone runs a method over them (<c>chorus check-pack</c>).</summary>
public interface IPackCheckGrain : IGrainWithGuidKey
{
    /// <summary>Vocabulary overlap and MinED coverage against the main member, each member's bits per byte on a sample, UniTE's Determine verdict.</summary>
    Task<PackCheckResult> Check(PackCheckRequest request, CancellationToken cancellationToken = default);
}
