using System.Text;

namespace Chorus.Llama;

/// <summary>
/// Turns a stream of tokens into text without ever emitting a broken UTF-8 character: bytes of an incomplete
/// sequence (a multi-byte character split over byte tokens) are held back until the character completes.
/// </summary>
public sealed class Utf8TokenDecoder
{
    private readonly LlamaVocabulary _vocabulary;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly bool _special;
    private readonly char[] _chars = new char[256];

    public Utf8TokenDecoder(LlamaVocabulary vocabulary, bool renderSpecial = false)
    {
        _vocabulary = vocabulary;
        _special = renderSpecial;
    }

    /// <summary>Text completed by this token (possibly empty while a character is incomplete).</summary>
    public string Append(int token)
    {
        var bytes = _vocabulary.TokenBytes(token, _special);
        return Decode(bytes, flush: false);
    }

    /// <summary>Whatever is still held back, with an incomplete trailing sequence as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var sb = new StringBuilder();
        var completed = false;
        while (!completed)
        {
            _decoder.Convert(bytes, _chars, flush, out var used, out var charsUsed, out completed);
            sb.Append(_chars, 0, charsUsed);
            bytes = bytes[used..];
        }
        return sb.ToString();
    }
}
