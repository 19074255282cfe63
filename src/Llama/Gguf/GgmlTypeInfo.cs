using System.Runtime.InteropServices;
using Chorus.Llama.Native;

namespace Chorus.Llama.Gguf;

/// <summary>
/// ggml's own description of a tensor type (block size, bytes per block, converters), looked up through
/// <c>ggml_get_type_traits</c> so sizes and quantised bytes are exactly what llama.cpp expects.
/// </summary>
internal sealed unsafe class GgmlTypeInfo
{
    /// <summary>GGML_TYPE_COUNT of llama.cpp v0.5.0; ggml aborts the process on anything at or above it.</summary>
    public const int TypeCount = 43;

    private static readonly GgmlTypeInfo?[] Cache = new GgmlTypeInfo?[TypeCount];
    private readonly GgmlTypeTraits* _traits;

    private GgmlTypeInfo(GgmlType type, GgmlTypeTraits* traits)
    {
        Type = type;
        _traits = traits;
        Name = Marshal.PtrToStringUTF8((nint)traits->TypeName) ?? type.ToString();
    }

    public GgmlType Type { get; }
    public string Name { get; }
    public long BlockSize => _traits->BlockSize;
    public long BlockBytes => (long)_traits->TypeSize;
    public bool CanDequantize => Type == GgmlType.F32 || _traits->ToFloat != null;
    public bool CanQuantize => Type == GgmlType.F32 || _traits->FromFloatRef != null;

    /// <summary>The traits of a raw type number, or null when ggml has no such (or a retired) type.</summary>
    public static GgmlTypeInfo? TryGet(uint raw)
    {
        if (raw >= TypeCount) return null;
        var cached = Volatile.Read(ref Cache[raw]);
        if (cached is not null) return cached;
        LlamaBackend.Initialize();
        var traits = LlamaNative.ggml_get_type_traits((GgmlType)raw);
        // retired types (Q4_2, Q4_3, the removed interleaved ones) keep a slot with block size 0
        if (traits == null || traits->BlockSize <= 0 || traits->TypeSize == 0) return null;
        var info = new GgmlTypeInfo((GgmlType)raw, traits);
        Volatile.Write(ref Cache[raw], info);
        return info;
    }

    public static GgmlTypeInfo Get(GgmlType type) =>
        TryGet((uint)type) ?? throw new ArgumentException($"ggml has no tensor type {type} ({(int)type})", nameof(type));

    /// <summary>Bytes a row of <paramref name="rowLength"/> elements takes; the row must hold whole blocks.</summary>
    public long RowBytes(long rowLength) => rowLength / BlockSize * BlockBytes;

    /// <summary>Converts whole blocks of this type to floats.</summary>
    public void ToFloat(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var count = destination.Length;
        if (source.Length != RowBytes(count) || count % BlockSize != 0)
            throw new ArgumentException($"{source.Length} bytes of {Name} do not hold exactly {count} elements");
        if (Type == GgmlType.F32)
        {
            MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
            return;
        }
        if (_traits->ToFloat == null) throw new NotSupportedException($"ggml cannot convert {Name} to float");
        fixed (byte* s = source)
        fixed (float* d = destination)
            _traits->ToFloat(s, d, count);
    }

    /// <summary>Converts floats (whole blocks) to this type with ggml's reference quantiser.</summary>
    public void FromFloat(ReadOnlySpan<float> source, Span<byte> destination)
    {
        var count = source.Length;
        if (destination.Length != RowBytes(count) || count % BlockSize != 0)
            throw new ArgumentException($"{count} floats do not fill exactly {destination.Length} bytes of {Name}");
        if (Type == GgmlType.F32)
        {
            MemoryMarshal.AsBytes(source).CopyTo(destination);
            return;
        }
        if (_traits->FromFloatRef == null) throw new NotSupportedException($"ggml cannot quantise float to {Name}");
        fixed (float* s = source)
        fixed (byte* d = destination)
            _traits->FromFloatRef(s, d, count);
    }
}
