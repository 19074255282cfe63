using Chorus.Contracts;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Chorus.Grains;

/// <summary>
/// Activates a model grain on a silo that serves its model (prefers the local silo); a model no live silo serves
/// fails at once with a <see cref="ChorusException"/> of kind Unavailable, never a timeout.
/// </summary>
internal sealed class ModelPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var candidates = context.GetCompatibleSilos(target).Where(s => ServedModels.Serves(metadata, s, key)).ToArray();
        if (candidates.Length == 0)
        {
            var served = context.GetCompatibleSilos(target).SelectMany(s => ServedModels.Decode(metadata.GetSiloMetadata(s)).Keys).Distinct().Order();
            throw new ChorusException(ChorusErrorKind.Unavailable,
                $"model '{ServedModels.ModelId(key)}' is not served by any live silo (served now: {string.Join(", ", served)}); start a silo that serves it");
        }
        var local = candidates.FirstOrDefault(s => s.Equals(context.LocalSilo));
        return Task.FromResult(local ?? candidates[Random.Shared.Next(candidates.Length)]);
    }
}
