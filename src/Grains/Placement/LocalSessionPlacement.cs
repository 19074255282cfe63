using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Chorus.Grains;

/// <summary>
/// Places a session grain on the silo whose front end created it, and keeps it out of the grain directory. Only that
/// front end ever calls a session (its key is a fresh Guid), so no other silo needs to find it — and a registration
/// could wait: after a crash Orleans' distributed directory refuses new registrations in the dead silo's ranges for a
/// lease (GrainDirectoryOptions.RangeLeaseDuration less the failure-detection window, ~14 s measured) while it
/// recovers them, and a new session whose Guid hashed into such a range waited for it (docs/cluster.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("chorus.LocalSessionPlacement")]
public sealed class LocalSessionPlacement : PlacementStrategy
{
    public static LocalSessionPlacement Instance { get; } = new();

    // no directory entry: placement goes straight to the local silo, registration (and its lease) never happens
    public override bool IsUsingGrainDirectory => false;
}

/// <summary>Marks a grain class as placed by <see cref="LocalSessionPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LocalSessionPlacementAttribute() : PlacementAttribute(LocalSessionPlacement.Instance);

/// <summary>The silo that addressed the session is the one that runs it.</summary>
internal sealed class LocalSessionPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(context.LocalSilo);
}
