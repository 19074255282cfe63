using System.Security.Cryptography;
using System.Text;

namespace Chorus.Fusion;

/// <summary>
/// A vocabulary held as a list of pieces, for tests and tools. Tokenization is greedy longest match over the
/// pieces' plain text — not a real BPE/SentencePiece tokenizer, but deterministic and enough to exercise alignment.
/// </summary>
public sealed class InMemoryVocabulary : IVocabulary
{
    private readonly string[] _pieces;
    private readonly HashSet<int> _endOfGeneration;
    private readonly Dictionary<string, int> _byPlainText = new(StringComparer.Ordinal);
    private readonly int _longestPlainText;

    /// <param name="pieces">The pieces in id order.</param>
    /// <param name="endOfGeneration">End-of-generation ids (also control tokens).</param>
    /// <param name="specials">Special tokens by role (also control tokens); none when null.</param>
    public InMemoryVocabulary(IReadOnlyList<string> pieces, IEnumerable<int>? endOfGeneration = null, SpecialTokens? specials = null)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        if (pieces.Count == 0) throw new ArgumentException("a vocabulary needs at least one token", nameof(pieces));
        _pieces = [.. pieces];
        _endOfGeneration = [.. endOfGeneration ?? []];
        Specials = specials ?? SpecialTokens.None;
        for (var id = 0; id < _pieces.Length; id++)
        {
            var text = Fusion.TokenText.ToPlainText(_pieces[id]);
            if (text.Length == 0 || IsControl(id)) continue;
            _byPlainText.TryAdd(text, id);
            _longestPlainText = Math.Max(_longestPlainText, text.Length);
        }
        ContentHash = HashPieces(_pieces);
    }

    public int Count => _pieces.Length;

    public string ContentHash { get; }

    public string TokenText(int id) => _pieces[id];

    public SpecialTokens Specials { get; }

    public bool IsEndOfGeneration(int id) => _endOfGeneration.Contains(id);

    public bool IsControl(int id) => _endOfGeneration.Contains(id) || Specials.Has(id);

    public int[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<int>();
        var i = 0;
        while (i < text.Length)
        {
            var matched = false;
            for (var len = Math.Min(_longestPlainText, text.Length - i); len > 0; len--)
            {
                if (_byPlainText.TryGetValue(text.Substring(i, len), out var id))
                {
                    tokens.Add(id);
                    i += len;
                    matched = true;
                    break;
                }
            }
            if (!matched) i++; // a character no piece covers is dropped, as a byte-less toy vocabulary must
        }
        return [.. tokens];
    }

    /// <summary>SHA-256 of the pieces in id order, hex; what a real vocabulary's hash should also mean.</summary>
    public static string HashPieces(IReadOnlyList<string> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var piece in pieces)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(piece));
            sha.AppendData([0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}
