namespace Chorus.Fusion;

/// <summary>
/// Which bytes may come next in valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
/// Byte-level fusion gives every other byte no mass, so generated text is valid UTF-8 by construction, and the
/// "end" event only where a character is complete.
/// </summary>
public struct Utf8Continuation
{
    private int _remaining; // continuation bytes still owed by the current character
    private byte _low, _high; // allowed range of the next continuation byte (narrower right after E0, ED, F0, F4)

    /// <summary>True between characters (the text so far is complete UTF-8).</summary>
    public readonly bool AtCharacterBoundary => _remaining == 0;

    /// <summary>True when <paramref name="b"/> can follow the bytes pushed so far.</summary>
    public readonly bool Allows(byte b)
    {
        if (_remaining > 0) return b >= _low && b <= _high;
        return b < 0x80 || (b >= 0xC2 && b <= 0xF4);
    }

    /// <summary>Consumes a byte (it must be allowed).</summary>
    public void Push(byte b)
    {
        if (!Allows(b)) throw new ArgumentException($"byte 0x{b:X2} cannot continue valid UTF-8 here", nameof(b));
        if (_remaining > 0)
        {
            _remaining--;
            (_low, _high) = (0x80, 0xBF);
            return;
        }
        (_remaining, _low, _high) = b switch
        {
            < 0x80 => (0, (byte)0, (byte)0),
            < 0xE0 => (1, (byte)0x80, (byte)0xBF),
            0xE0 => (2, (byte)0xA0, (byte)0xBF),
            0xED => (2, (byte)0x80, (byte)0x9F),
            < 0xF0 => (2, (byte)0x80, (byte)0xBF),
            0xF0 => (3, (byte)0x90, (byte)0xBF),
            0xF4 => (3, (byte)0x80, (byte)0x8F),
            _ => (3, (byte)0x80, (byte)0xBF),
        };
    }

    /// <summary>Sets log-probabilities of bytes that cannot come next (and of "end" mid-character) to −∞; returns false when nothing is left.</summary>
    public readonly bool Mask(Span<double> logProbs257)
    {
        var any = false;
        for (var b = 0; b < 256; b++)
        {
            if (!Allows((byte)b)) logProbs257[b] = double.NegativeInfinity;
            else any |= !double.IsNegativeInfinity(logProbs257[b]);
        }
        if (!AtCharacterBoundary) logProbs257[ByteDistribution.End] = double.NegativeInfinity;
        else any |= !double.IsNegativeInfinity(logProbs257[ByteDistribution.End]);
        return any;
    }
}
