using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Chorus.Fusion;

/// <summary>
/// DeePEn's anchor sets and relative spaces, built once per set of members and shared by every request, like
/// <see cref="VocabularyMapCache"/>: anchors are keyed by the members' vocabulary hashes (in member order), a space
/// by its anchor set and member slot and held by the member's embedding matrix, so it lives as long as that matrix.
/// </summary>
public sealed class RelativeSpaceCache
{
    private readonly ConcurrentDictionary<string, Lazy<AnchorSet>> _anchors = new();
    private readonly ConditionalWeakTable<TokenEmbeddings, ConcurrentDictionary<(string, int, float), Lazy<RelativeSpace>>> _spaces = new();

    /// <param name="rowBudgetBytes">Row-cache budget of each member's space.</param>
    public RelativeSpaceCache(long rowBudgetBytes = RelativeSpace.DefaultRowBudgetBytes) => RowBudgetBytes = rowBudgetBytes;

    /// <summary>The process-wide cache used when a request brings none.</summary>
    public static RelativeSpaceCache Shared { get; } = new();

    public long RowBudgetBytes { get; }

    /// <summary>The anchors of these vocabularies (in this order), built once.</summary>
    public AnchorSet Anchors(IReadOnlyList<IVocabulary> vocabularies)
    {
        ArgumentNullException.ThrowIfNull(vocabularies);
        var key = AnchorSet.KeyOf(vocabularies);
        return _anchors.GetOrAdd(key, _ => new Lazy<AnchorSet>(() => AnchorSet.Build(vocabularies))).Value;
    }

    /// <summary>Member <paramref name="member"/>'s relative space over <paramref name="anchors"/>, built once.</summary>
    public RelativeSpace Space(TokenEmbeddings embeddings, AnchorSet anchors, int member, float sharpness)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(anchors);
        var spaces = _spaces.GetValue(embeddings, _ => new());
        return spaces.GetOrAdd((anchors.Key, member, sharpness),
            _ => new Lazy<RelativeSpace>(() => new RelativeSpace(embeddings, anchors.Ids(member), sharpness, RowBudgetBytes))).Value;
    }
}
