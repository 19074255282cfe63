using Orleans.GrainDirectory;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// The grain directory of session grains: none. A session runs where its front end placed it and only that front end
/// calls it (<see cref="LocalSessionPlacement"/>), so placing one needs no lookup. Under Orleans' distributed directory a
/// new grain's placement first looks its id up at the partition that owns its hash — a remote call, which after a crash
/// waits while that range is recovered from every live silo. Naming this directory for sessions makes that lookup local
/// and empty.
/// </summary>
internal sealed class LocalSessionDirectory : IGrainDirectory
{
    public const string Name = "chorus-local-sessions";

    public Task<GrainAddress?> Lookup(GrainId grainId) => Task.FromResult<GrainAddress?>(null);

    // never called for grains that do not use a directory; harmless if it were
    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
