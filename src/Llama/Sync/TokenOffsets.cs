using System.Text;

namespace Chorus.Llama;

/// <summary>Character offsets of tokens in the text they were tokenized from.</summary>
public static class TokenOffsets
{
    /// <summary>
    /// The offset in <paramref name="text"/> (UTF-16 index) where each token's piece starts. Special tokens (BOS)
    /// have empty pieces and sit at the offset of what follows; a word-boundary space the tokenizer added in front
    /// of the text (SentencePiece's space prefix) is not counted. With <paramref name="special"/> (a text tokenized with
    /// its special tokens parsed, as a chat template's markers are) special tokens count with their text.
    /// </summary>
    public static int[] Compute(LlamaVocabulary vocabulary, string text, ReadOnlySpan<int> tokens, bool special = false)
    {
        var pieceEnds = new long[tokens.Length];
        long total = 0;
        var pieceStarts = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            pieceStarts[i] = total;
            total += vocabulary.TokenBytes(tokens[i], special).Length;
            pieceEnds[i] = total;
        }
        var textBytes = Encoding.UTF8.GetByteCount(text);
        var skip = Math.Max(0, total - textBytes); // bytes the tokenizer added in front (space prefix)
        var byteToChar = ByteToCharMap(text);
        var offsets = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            var b = (int)Math.Clamp(pieceStarts[i] - skip, 0, textBytes);
            offsets[i] = byteToChar[b];
        }
        return offsets;
    }

    // byteToChar[b] = index of the char whose UTF-8 encoding covers byte b (text.Length at the end).
    private static int[] ByteToCharMap(string text)
    {
        var map = new int[Encoding.UTF8.GetByteCount(text) + 1];
        var b = 0;
        for (var c = 0; c < text.Length; c++)
        {
            int width;
            if (char.IsHighSurrogate(text[c]) && c + 1 < text.Length && char.IsLowSurrogate(text[c + 1]))
            {
                width = 4;
                for (var k = 0; k < width; k++) map[b + k] = c;
                b += width;
                c++;
                continue;
            }
            width = text[c] < 0x80 ? 1 : text[c] < 0x800 ? 2 : 3;
            for (var k = 0; k < width; k++) map[b + k] = c;
            b += width;
        }
        map[b] = text.Length;
        return map;
    }
}
