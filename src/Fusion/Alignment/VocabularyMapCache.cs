using System.Collections.Concurrent;

namespace Chorus.Fusion;

/// <summary>
/// MinED maps per (main, member) vocabulary pair, kept in memory and, when a directory is given, on disk keyed
/// by the two content hashes — the map is static and the search is the expensive part of preparing a pack.
/// </summary>
public sealed class VocabularyMapCache
{
    private const int FormatVersion = 3; // 2: special tokens by role, edit distance on normalised text; 3: unmatched specials
    private static readonly byte[] Magic = "CHMD"u8.ToArray();
    private readonly ConcurrentDictionary<(string, string), Lazy<VocabularyMap>> _maps = new();
    private readonly string? _directory;
    private readonly MinEdOptions _options;

    /// <param name="directory">Where maps persist between runs; null keeps them in memory only.</param>
    /// <param name="options">Search knobs for maps built here.</param>
    public VocabularyMapCache(string? directory = null, MinEdOptions? options = null)
    {
        _directory = directory;
        _options = options ?? MinEdOptions.Default;
    }

    /// <summary>The map main → member, built once per pair of vocabularies.</summary>
    public VocabularyMap Get(IVocabulary main, IVocabulary member)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(member);
        var key = (main.ContentHash, member.ContentHash);
        return _maps.GetOrAdd(key, _ => new Lazy<VocabularyMap>(() => LoadOrBuild(main, member))).Value;
    }

    /// <summary>The file a pair's map is stored in.</summary>
    public string? PathFor(IVocabulary main, IVocabulary member) =>
        _directory is null ? null : Path.Combine(_directory, $"mined-{main.ContentHash}-{member.ContentHash}.bin");

    private VocabularyMap LoadOrBuild(IVocabulary main, IVocabulary member)
    {
        var path = PathFor(main, member);
        if (path is not null && TryLoad(path, main.Count, member.Count) is { } loaded) return loaded;
        var map = MinEditDistanceMapper.Build(main, member, _options);
        if (path is not null) Save(path, map);
        return map;
    }

    private static VocabularyMap? TryLoad(string path, int mainCount, int memberCount)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (!reader.ReadBytes(4).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion) return null;
            if (reader.ReadInt32() != mainCount || reader.ReadInt32() != memberCount) return null;
            var stats = new MapStatistics(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
            var map = new int[mainCount];
            for (var i = 0; i < map.Length; i++) map[i] = reader.ReadInt32();
            var unmatched = new int[reader.ReadInt32()];
            for (var i = 0; i < unmatched.Length; i++) unmatched[i] = reader.ReadInt32();
            return new VocabularyMap(map, memberCount, stats, unmatched);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ArgumentOutOfRangeException or OverflowException)
        {
            return null; // a truncated or stale file is rebuilt, not trusted
        }
    }

    private static void Save(string path, VocabularyMap map)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temp)))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(map.MainVocabularySize);
            writer.Write(map.MemberVocabularySize);
            var s = map.Statistics;
            writer.Write(s.Exact); writer.Write(s.MarkerSwap); writer.Write(s.EditDistance); writer.Write(s.BudgetExhausted); writer.Write(s.Special);
            foreach (var t in map.ToMember) writer.Write(t);
            writer.Write(map.Unmatched.Length);
            foreach (var t in map.Unmatched) writer.Write(t);
        }
        File.Move(temp, path, overwrite: true); // atomic: a concurrent reader never sees half a map
    }
}
