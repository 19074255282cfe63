namespace Chorus.Fusion;

/// <summary>
/// UniTE's per-member string look-up: the id of a canonical piece in one member's vocabulary — the piece itself
/// when the vocabulary has it, else the first sub-token of its text tokenized by the member (skipping a leading
/// bare-space token), else −1. Tokenizer results are cached per string, so steady-state steps do not allocate.
/// </summary>
internal sealed class UnionVocabulary(IVocabulary vocabulary)
{
    private readonly VocabularyIndex _index = VocabularyIndex.Of(vocabulary);
    private readonly Dictionary<string, int> _tokenized = new(StringComparer.Ordinal);

    public VocabularyIndex Index => _index;

    public int Resolve(string canonical)
    {
        if (_index.TryGetByCanonical(canonical, out var id)) return id;
        if (_tokenized.TryGetValue(canonical, out id)) return id;
        id = FirstSubToken(canonical);
        _tokenized[canonical] = id;
        return id;
    }

    private int FirstSubToken(string canonical)
    {
        var tokens = vocabulary.Tokenize(TokenText.ToPlainText(canonical));
        for (var i = 0; i < tokens.Length; i++)
        {
            if (i == 0 && tokens.Length > 1 && TokenText.ToPlainText(vocabulary.TokenText(tokens[0])) == " ") continue;
            return tokens[i];
        }
        return -1;
    }
}
