using Chorus.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Chorus.Grains;

/// <summary>Which live silo serves which model (from silo metadata), and which model ids the cluster knows at all.</summary>
public sealed class ClusterModelDirectory(IClusterMembershipService membership, ISiloMetadataCache metadata, IOptions<ChorusOptions> options)
{
    /// <summary>Model id → live silos serving it.</summary>
    public IReadOnlyDictionary<string, List<SiloAddress>> Served()
    {
        var result = new Dictionary<string, List<SiloAddress>>(StringComparer.Ordinal);
        foreach (var (silo, models) in ActiveSilos())
        {
            foreach (var id in models.Keys)
            {
                if (!result.TryGetValue(id, out var silos)) result[id] = silos = [];
                silos.Add(silo);
            }
        }
        return result;
    }

    /// <summary>Replicas of a model over all live silos (0 when none serves it): sessions spread over all of them.</summary>
    public int Replicas(string modelId)
    {
        var count = 0;
        foreach (var (_, models) in ActiveSilos())
            if (models.TryGetValue(modelId, out var n)) count += n;
        return count;
    }

    /// <summary>The live silo a replica key belongs on now (<see cref="ServedModels.Owner"/>), or null when no live silo serves the model.</summary>
    public SiloAddress? Owner(string grainKey)
    {
        var id = ServedModels.ModelId(grainKey);
        var serving = new List<(SiloAddress Silo, int Replicas)>();
        foreach (var (silo, models) in ActiveSilos())
            if (models.TryGetValue(id, out var n)) serving.Add((silo, n));
        return serving.Count == 0 ? null : ServedModels.Owner(serving, ServedModels.Replica(grainKey));
    }

    /// <summary>
    /// True while the silo (as <see cref="SiloAddress.ToString"/> writes it) is an Active member of the cluster and not
    /// known gone (<see cref="SiloReachability"/>: its endpoint refused a session's probe before the membership caught up).
    /// </summary>
    public bool IsActive(string silo)
    {
        if (SiloReachability.LostReason(silo) is not null) return false;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
            if (member.Status == SiloStatus.Active && member.SiloAddress.ToString() == silo) return true;
        return false;
    }

    // Each live silo with the models (id → replicas) its metadata declares; a silo known gone serves nothing, even while
    // the membership (waiting for its store) still lists it
    private IEnumerable<(SiloAddress Silo, IReadOnlyDictionary<string, int> Models)> ActiveSilos()
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
            if (member.Status == SiloStatus.Active && SiloReachability.LostReason(member.SiloAddress.ToString()) is null)
                yield return (member.SiloAddress, ServedModels.Decode(metadata.GetSiloMetadata(member.SiloAddress)));
    }

    /// <summary>Throws NotFound for an id nobody knows, Unavailable for a known id no live silo serves.</summary>
    public void EnsureServed(string modelId)
    {
        var served = Served();
        if (served.ContainsKey(modelId)) return;
        var o = options.Value;
        var known = o.KnownModels.Contains(modelId) || o.Packs.Any(p => p.Members.Any(m => m.Model == modelId)) || o.Models.Any(m => m.Id == modelId);
        var list = string.Join(", ", served.Keys.Order());
        throw known
            ? new ChorusException(ChorusErrorKind.Unavailable, $"model '{modelId}' is not served by any live silo (served now: {list}); start a silo that serves it")
            : new ChorusException(ChorusErrorKind.NotFound, $"unknown model '{modelId}' (served: {list}); check the id or add it to a silo's Chorus:Models");
    }
}
