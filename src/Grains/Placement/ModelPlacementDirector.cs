using Chorus.Contracts;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Chorus.Grains;

/// <summary>
/// Activates a model grain on a silo that serves its model; a model no live silo serves fails at once with a
/// <see cref="ChorusException"/> of kind Unavailable, never a timeout. Replica keys are spread over the serving silos
/// (<see cref="ServedModels.Owner"/>), so a model served by two silos has sessions on both, and a replica whose silo
/// left is placed on a live one.
/// </summary>
internal sealed class ModelPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var candidates = context.GetCompatibleSilos(target).Where(s => ServedModels.ServesModel(metadata, s, key)).ToArray();
        if (candidates.Length == 0)
        {
            var served = context.GetCompatibleSilos(target).SelectMany(s => ServedModels.Decode(metadata.GetSiloMetadata(s)).Keys).Distinct().Order();
            throw new ChorusException(ChorusErrorKind.Unavailable,
                $"model '{ServedModels.ModelId(key)}' is not served by any live silo (served now: {string.Join(", ", served)}); start a silo that serves it");
        }
        var id = ServedModels.ModelId(key);
        var serving = candidates.Select(s => (s, ServedModels.Decode(metadata.GetSiloMetadata(s)).GetValueOrDefault(id, 1))).ToList();
        return Task.FromResult(ServedModels.Owner(serving, ServedModels.Replica(key)));
    }
}
