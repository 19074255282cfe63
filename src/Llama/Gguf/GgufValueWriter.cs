using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Chorus.Llama.Gguf;

/// <summary>Encodes GGUF primitives, strings and metadata values (little-endian) onto a stream.</summary>
internal sealed class GgufValueWriter(Stream stream)
{
    private byte[] _scratch = new byte[256];

    public long Position { get; private set; }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        stream.Write(bytes);
        Position += bytes.Length;
    }

    public void WriteUInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        WriteBytes(b);
    }

    public void WriteUInt64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        WriteBytes(b);
    }

    public void WriteString(string value)
    {
        var n = Encoding.UTF8.GetByteCount(value);
        if (_scratch.Length < n) _scratch = new byte[Math.Max(n, _scratch.Length * 2)];
        Encoding.UTF8.GetBytes(value, _scratch);
        WriteUInt64((ulong)n);
        WriteBytes(_scratch.AsSpan(0, n));
    }

    public void WriteZeros(long count)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (count > 0)
        {
            var n = (int)Math.Min(count, zeros.Length);
            WriteBytes(zeros[..n]);
            count -= n;
        }
    }

    /// <summary>The value without its type tag (the caller writes the tag: a key's entry, or an array's element type).</summary>
    public void WriteValue(GgufValue value)
    {
        switch (value.Raw)
        {
            case byte v: WriteBytes([v]); break;
            case sbyte v: WriteBytes([(byte)v]); break;
            case bool v: WriteBytes([(byte)(v ? 1 : 0)]); break;
            case ushort v: WriteScalar(v); break;
            case short v: WriteScalar(v); break;
            case uint v: WriteUInt32(v); break;
            case int v: WriteScalar(v); break;
            case float v: WriteScalar(v); break;
            case ulong v: WriteUInt64(v); break;
            case long v: WriteScalar(v); break;
            case double v: WriteScalar(v); break;
            case string v: WriteString(v); break;
            default: WriteArray(value); break;
        }
    }

    private void WriteArray(GgufValue array)
    {
        WriteUInt32((uint)array.ElementType!.Value);
        WriteUInt64((ulong)array.Count);
        switch (array.Raw)
        {
            case string[] items:
                foreach (var s in items) WriteString(s);
                break;
            case GgufValue[] items:
                foreach (var inner in items) WriteArray(inner);
                break;
            case bool[] items:
                foreach (var b in items) WriteBytes([(byte)(b ? 1 : 0)]);
                break;
            case byte[] items: WriteBytes(items); break;
            case sbyte[] items: WriteBlittable<sbyte>(items); break;
            case ushort[] items: WriteBlittable<ushort>(items); break;
            case short[] items: WriteBlittable<short>(items); break;
            case uint[] items: WriteBlittable<uint>(items); break;
            case int[] items: WriteBlittable<int>(items); break;
            case float[] items: WriteBlittable<float>(items); break;
            case ulong[] items: WriteBlittable<ulong>(items); break;
            case long[] items: WriteBlittable<long>(items); break;
            case double[] items: WriteBlittable<double>(items); break;
            default: throw new ArgumentException($"cannot encode {array.Raw.GetType().Name} as GGUF");
        }
    }

    // Every platform llama.cpp runs on here is little-endian, like GGUF, so memory order is file order.
    private void WriteBlittable<T>(T[] items) where T : unmanaged => WriteBytes(MemoryMarshal.AsBytes(items.AsSpan()));

    private void WriteScalar<T>(T value) where T : unmanaged => WriteBytes(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
}
