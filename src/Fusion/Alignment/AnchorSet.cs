namespace Chorus.Fusion;

/// <summary>
/// DeePEn's anchors: the pieces every member's vocabulary has, after normalising the word-boundary marker
/// (compared in <see cref="TokenText.Canonical"/> form). Anchor a is token <c>Ids(k)[a]</c> in member k.
/// </summary>
public sealed class AnchorSet
{
    private readonly int[][] _ids;

    private AnchorSet(int[][] ids, string key)
    {
        _ids = ids;
        Key = key;
    }

    /// <summary>Identifies the member vocabularies (in order) the set was built from.</summary>
    public string Key { get; }

    /// <summary>Number of anchors |A|.</summary>
    public int Count => _ids[0].Length;

    /// <summary>The anchors' token ids in member k's vocabulary.</summary>
    public ReadOnlySpan<int> Ids(int member) => _ids[member];

    /// <summary>Intersects the vocabularies, in the first vocabulary's id order.</summary>
    public static AnchorSet Build(IReadOnlyList<IVocabulary> vocabularies)
    {
        ArgumentNullException.ThrowIfNull(vocabularies);
        var indexes = new VocabularyIndex[vocabularies.Count];
        for (var k = 0; k < indexes.Length; k++) indexes[k] = VocabularyIndex.Of(vocabularies[k]);
        var lists = new List<int>[vocabularies.Count];
        for (var k = 0; k < lists.Length; k++) lists[k] = [];
        var first = indexes[0];
        for (var id = 0; id < vocabularies[0].Count; id++)
        {
            var canonical = first.CanonicalOf(id);
            if (!first.TryGetByCanonical(canonical, out var owner) || owner != id) continue; // one anchor per piece
            var everywhere = true;
            for (var k = 1; k < indexes.Length && everywhere; k++) everywhere = indexes[k].TryGetByCanonical(canonical, out _);
            if (!everywhere) continue;
            for (var k = 0; k < indexes.Length; k++)
            {
                indexes[k].TryGetByCanonical(canonical, out var other);
                lists[k].Add(other);
            }
        }
        var ids = new int[lists.Length][];
        for (var k = 0; k < ids.Length; k++) ids[k] = [.. lists[k]];
        return new AnchorSet(ids, KeyOf(vocabularies));
    }

    /// <summary>The key of the anchor set of these vocabularies: their content hashes and sizes, in order.</summary>
    public static string KeyOf(IReadOnlyList<IVocabulary> vocabularies)
    {
        ArgumentNullException.ThrowIfNull(vocabularies);
        return string.Join('|', vocabularies.Select(v => $"{v.ContentHash}:{v.Count}"));
    }
}
