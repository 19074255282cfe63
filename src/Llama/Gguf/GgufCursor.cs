using System.Buffers.Binary;
using System.Text;

namespace Chorus.Llama.Gguf;

/// <summary>
/// Reads the little-endian header of a GGUF file while remembering which section it is in, so running off the end
/// or meeting nonsense becomes a <see cref="GgufFormatException"/> that says where.
/// </summary>
internal sealed class GgufCursor : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream _stream;
    private byte[] _scratch = new byte[256];

    public GgufCursor(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Length = _stream.Length;
    }

    public string Path { get; }
    public long Length { get; }
    public long Position { get; private set; }
    public long Remaining => Length - Position;

    /// <summary>What is being read, e.g. "metadata entry 3 of 25 ('general.name')", for error messages.</summary>
    public string Section { get; set; } = "header";

    public GgufFormatException Error(string problem) => new(Path, problem, Position);

    public GgufFormatException Error(string problem, long offset) => new(Path, problem, offset);

    public void ReadExactly(Span<byte> destination)
    {
        if (destination.Length > Remaining)
            throw Error($"file is truncated in {Section}: {destination.Length} bytes needed but the file ends at {Length}");
        _stream.ReadExactly(destination);
        Position += destination.Length;
    }

    public byte ReadByte()
    {
        Span<byte> b = stackalloc byte[1];
        ReadExactly(b);
        return b[0];
    }

    public ushort ReadUInt16()
    {
        Span<byte> b = stackalloc byte[2];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    public uint ReadUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public ulong ReadUInt64()
    {
        Span<byte> b = stackalloc byte[8];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>A count that will size an allocation: checked against the bytes left so random input cannot ask for gigabytes.</summary>
    public int ReadCount(string what, int minimumBytesEach)
    {
        var at = Position;
        var count = ReadUInt64();
        var fits = minimumBytesEach == 0 ? (ulong)Remaining : (ulong)Remaining / (ulong)minimumBytesEach;
        if (count > fits || count > (ulong)Array.MaxLength)
            throw Error($"file is truncated or corrupt: {Section} claims {count} {what}, but only {Remaining} bytes are left to hold them", at);
        return (int)count;
    }

    public string ReadString()
    {
        var at = Position;
        var length = ReadUInt64();
        if (length > (ulong)Remaining)
            throw Error($"file is truncated in {Section}: a string of {length} bytes is announced but only {Remaining} bytes are left", at);
        if (length > int.MaxValue)
            throw Error($"{Section} holds a string of {length} bytes, more than Chorus reads", at);
        var n = (int)length;
        if (_scratch.Length < n) _scratch = new byte[Math.Max(n, _scratch.Length * 2)];
        ReadExactly(_scratch.AsSpan(0, n));
        try
        {
            return StrictUtf8.GetString(_scratch, 0, n);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"{Section} holds a string that is not valid UTF-8", at);
        }
    }

    public void Dispose() => _stream.Dispose();
}
