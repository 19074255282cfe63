using System.Text;

namespace Chorus.Grains;

/// <summary>Checks of one string field: its UTF-8 size (counted, never encoded) and that it holds no lone surrogate.</summary>
internal static class TextRules
{
    /// <summary>The longest model id, pack name or method name, in UTF-8 bytes.</summary>
    public const int MaxIdentifierBytes = 256;

    /// <summary>A prompt or text: at most <paramref name="maxBytes"/> bytes of UTF-8, and non-empty when <paramref name="required"/>.</summary>
    public static void Text(string? text, string field, int maxBytes, bool required)
    {
        if (string.IsNullOrEmpty(text))
        {
            if (required) throw RequestValidator.Invalid($"{field} is empty; give a {field} of at least one character", field);
            return;
        }
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > maxBytes)
            throw RequestValidator.Invalid($"{field} is {bytes} bytes of UTF-8; at most {maxBytes} are allowed (Chorus:Sessions:MaxTextBytes); send a shorter {field}", field);
        WellFormed(text, field);
    }

    /// <summary>A model id, pack name or method name: non-blank and short.</summary>
    public static void Identifier(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw RequestValidator.Invalid($"{field} is empty; give a model, pack or method name", field);
        Bounded(value, field, MaxIdentifierBytes, allowEmpty: false);
    }

    /// <summary>A short string (stop string, parameter key or value): at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    public static void Bounded(string? value, string field, int maxBytes, bool allowEmpty)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (!allowEmpty) throw RequestValidator.Invalid($"{field} is empty; remove it or give at least one character", field);
            return;
        }
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > maxBytes)
            throw RequestValidator.Invalid($"{field} is {bytes} bytes of UTF-8; at most {maxBytes} are allowed; shorten it", field);
        WellFormed(value, field);
    }

    /// <summary>
    /// A .NET string can hold a lone surrogate (from a client library, or a string cut in the middle of a pair); it has no
    /// UTF-8 form, so it is rejected here rather than silently replaced by U+FFFD later.
    /// </summary>
    public static void WellFormed(string value, string field)
    {
        var span = value.AsSpan();
        var i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(span[i]) || i + 1 == span.Length || !char.IsLowSurrogate(span[i + 1]))
            {
                var offset = Encoding.UTF8.GetByteCount(span[..i]);
                throw RequestValidator.Invalid(
                    $"{field} is not valid Unicode: a lone surrogate U+{(int)span[i]:X4} at byte {offset} of its UTF-8; send well-formed UTF-8 text", field);
            }
            var next = span[(i + 2)..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + 2 + next;
        }
    }
}
