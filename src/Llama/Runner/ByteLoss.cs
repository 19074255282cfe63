using System.Text;

namespace Chorus.Llama;

/// <summary>
/// Bits per byte: a text's total negative log-likelihood in bits over its UTF-8 bytes. Unlike perplexity (per token),
/// it does not depend on how a vocabulary cuts the text, so models with different tokenizers compare on it.
/// </summary>
public static class ByteLoss
{
    /// <summary>Total NLL (nats) / ln 2 / bytes; NaN when there are no bytes, ∞ when a token had probability 0.</summary>
    public static double BitsPerByte(double totalNllNats, long bytes) => bytes > 0 ? totalNllNats / Math.Log(2) / bytes : double.NaN;

    /// <summary>The same from a mean NLL (nats per token) over <paramref name="tokens"/> tokens.</summary>
    public static double BitsPerByte(double meanNll, int tokens, long bytes) => tokens > 0 ? BitsPerByte(meanNll * tokens, bytes) : double.NaN;

    /// <summary>UTF-8 bytes of <paramref name="text"/> from char offset <paramref name="fromChar"/> (UTF-16 index) to its end.</summary>
    public static long Utf8Bytes(string text, int fromChar)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encoding.UTF8.GetByteCount(text.AsSpan(Math.Clamp(fromChar, 0, text.Length)));
    }
}
