using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Chorus.Grains;

/// <summary>The silo-metadata entry that tells the cluster which models a silo serves.</summary>
public static class ServedModels
{
    public const string MetadataKey = "chorus.models";

    /// <summary>The model id of a model grain key ("id" or "id/replica").</summary>
    public static string ModelId(string grainKey)
    {
        var slash = grainKey.LastIndexOf('/');
        return slash > 0 && int.TryParse(grainKey.AsSpan(slash + 1), out _) ? grainKey[..slash] : grainKey;
    }

    /// <summary>The replica index of a model grain key (0 when none).</summary>
    public static int Replica(string grainKey)
    {
        var slash = grainKey.LastIndexOf('/');
        return slash > 0 && int.TryParse(grainKey.AsSpan(slash + 1), out var r) ? r : 0;
    }

    public static string Encode(IEnumerable<ModelOptions> models) =>
        string.Join(',', models.Select(m => $"{m.Id}*{Math.Max(1, m.Replicas)}"));

    /// <summary>Model id → replica count, as a silo's metadata declares.</summary>
    public static IReadOnlyDictionary<string, int> Decode(SiloMetadata metadata)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!metadata.Metadata.TryGetValue(MetadataKey, out var value) || string.IsNullOrEmpty(value)) return result;
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var star = entry.LastIndexOf('*');
            var id = star > 0 ? entry[..star] : entry;
            result[id] = star > 0 && int.TryParse(entry.AsSpan(star + 1), out var n) ? n : 1;
        }
        return result;
    }

    /// <summary>True when the silo serves the grain key's model (any replica count).</summary>
    public static bool ServesModel(ISiloMetadataCache cache, SiloAddress silo, string grainKey) =>
        Decode(cache.GetSiloMetadata(silo)).ContainsKey(ModelId(grainKey));

    /// <summary>
    /// The silo that holds replica <paramref name="replica"/> of a model: the serving silos, in address order, each own as
    /// many consecutive replica indexes as they declare (silo A with 2 and B with 1: 0, 1 → A; 2 → B); an index past the
    /// live total wraps.
    /// </summary>
    public static SiloAddress Owner(IReadOnlyList<(SiloAddress Silo, int Replicas)> serving, int replica)
    {
        var ordered = serving.OrderBy(s => s.Silo.ToParsableString(), StringComparer.Ordinal).ToArray();
        var r = replica % Math.Max(1, ordered.Sum(s => Math.Max(1, s.Replicas)));
        foreach (var (silo, replicas) in ordered)
        {
            if (r < Math.Max(1, replicas)) return silo;
            r -= Math.Max(1, replicas);
        }
        return ordered[^1].Silo;
    }
}
