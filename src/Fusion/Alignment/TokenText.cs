using System.Globalization;
using System.Text;

namespace Chorus.Fusion;

/// <summary>Word-boundary markers and byte tokens of the two vocabulary families (SentencePiece and GPT-2 byte-level).</summary>
public static class TokenText
{
    /// <summary>SentencePiece's space marker '▁'.</summary>
    public const char SpmSpace = '\u2581';

    /// <summary>GPT-2 byte-level space 'Ġ'.</summary>
    public const char ByteLevelSpace = '\u0120';

    /// <summary>GPT-2 byte-level newline 'Ċ'.</summary>
    public const char ByteLevelNewline = '\u010A';

    /// <summary>GPT-2 byte-level tab 'ĉ'.</summary>
    public const char ByteLevelTab = '\u0109';

    /// <summary>The piece with its word-boundary markers swapped (▁ ↔ Ġ), or null when it has none (MinED step 2).</summary>
    public static string? SwapMarkers(string piece)
    {
        if (piece.Contains(SpmSpace, StringComparison.Ordinal)) return piece.Replace(SpmSpace, ByteLevelSpace);
        if (piece.Contains(ByteLevelSpace, StringComparison.Ordinal)) return piece.Replace(ByteLevelSpace, SpmSpace);
        return null;
    }

    /// <summary>
    /// One spelling for pieces that mean the same text in both families: ▁ → Ġ, Ċ and ASCII byte tokens
    /// (&lt;0x0A&gt;) → the character. UniTE's union and DeePEn's anchors compare pieces in this form.
    /// </summary>
    public static string Canonical(string piece)
    {
        if (TryParseByteToken(piece, out var b)) return b == 0x20 ? ByteLevelSpace.ToString() : ((char)b).ToString();
        if (piece.AsSpan().IndexOfAny(SpmSpace, ByteLevelNewline) < 0) return piece;
        return piece.Replace(SpmSpace, ByteLevelSpace).Replace(ByteLevelNewline, '\n');
    }

    /// <summary>The text a piece stands for (markers become spaces, newlines, tabs; ASCII byte tokens their character).</summary>
    public static string ToPlainText(string piece)
    {
        if (TryParseByteToken(piece, out var b)) return ((char)b).ToString();
        var sb = new StringBuilder(piece.Length);
        foreach (var c in piece)
        {
            sb.Append(c switch
            {
                SpmSpace or ByteLevelSpace => ' ',
                ByteLevelNewline => '\n',
                ByteLevelTab => '\t',
                _ => c,
            });
        }
        return sb.ToString();
    }

    /// <summary>Recognises SentencePiece byte-fallback tokens "&lt;0xHH&gt;" for ASCII bytes.</summary>
    public static bool TryParseByteToken(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            && value < 0x80;
    }
}
