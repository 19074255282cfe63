using System.Runtime.CompilerServices;

namespace Chorus.Fusion;

/// <summary>
/// Lookups over one vocabulary built once and shared: piece → id, canonical piece → id, and each token's
/// canonical piece. Built lazily per <see cref="IVocabulary"/> instance and kept as long as the vocabulary lives.
/// </summary>
public sealed class VocabularyIndex
{
    private static readonly ConditionalWeakTable<IVocabulary, VocabularyIndex> Indexes = new();
    private readonly Dictionary<string, int> _byPiece;
    private readonly Dictionary<string, int> _byCanonical;
    private readonly string[] _canonical;

    private VocabularyIndex(IVocabulary vocabulary)
    {
        var n = vocabulary.Count;
        _byPiece = new Dictionary<string, int>(n, StringComparer.Ordinal);
        _byCanonical = new Dictionary<string, int>(n, StringComparer.Ordinal);
        _canonical = new string[n];
        for (var id = 0; id < n; id++)
        {
            var piece = vocabulary.TokenText(id);
            _byPiece.TryAdd(piece, id); // duplicates keep the lowest id
            _canonical[id] = TokenText.Canonical(piece);
            _byCanonical.TryAdd(_canonical[id], id);
        }
        Vocabulary = vocabulary;
    }

    public IVocabulary Vocabulary { get; }

    /// <summary>The index of a vocabulary (built on first use, then shared).</summary>
    public static VocabularyIndex Of(IVocabulary vocabulary) => Indexes.GetValue(vocabulary, v => new VocabularyIndex(v));

    public bool TryGetByPiece(string piece, out int id) => _byPiece.TryGetValue(piece, out id);

    public bool TryGetByCanonical(string canonical, out int id) => _byCanonical.TryGetValue(canonical, out id);

    /// <summary>The canonical form of token <paramref name="id"/> (see <see cref="TokenText.Canonical"/>).</summary>
    public string CanonicalOf(int id) => _canonical[id];
}
