using System.Globalization;
using System.Runtime.InteropServices;

namespace Chorus.Llama.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a UTF-8 string, or an array. Arrays are held as typed .NET arrays
/// (<c>uint[]</c>, <c>string[]</c>, …; arrays of arrays as <c>GgufValue[]</c>) so large tokenizer tables stay compact.
/// Equality is structural and bit-exact, so a value read back equals the value written.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    private GgufValue(GgufValueType type, GgufValueType? elementType, object raw)
    {
        Type = type;
        ElementType = elementType;
        Raw = raw;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type of an array; null for scalars and strings.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The boxed scalar, the string, or the typed array.</summary>
    public object Raw { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array (1 for a scalar).</summary>
    public int Count => Raw is System.Array a ? a.Length : 1;

    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, null, value);
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, null, value);
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, null, value);
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, null, value);
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, null, value);
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, null, value);
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, null, value);
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, null, value);
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, null, value);
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, null, value);
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, null, value);

    public static GgufValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, null, value);
    }

    /// <summary>An array; <typeparamref name="T"/> picks the element type (byte → UInt8, string → String, GgufValue → nested arrays, …).</summary>
    public static GgufValue ArrayOf<T>(T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var elementType = ElementTypeOf(typeof(T));
        if (items is GgufValue[] nested)
        {
            foreach (var item in nested)
            {
                if (item is null || !item.IsArray)
                    throw new ArgumentException("every element of an array of arrays must itself be an array", nameof(items));
            }
        }
        if (items is string[] strings && strings.Any(s => s is null))
            throw new ArgumentException("a string array cannot hold null", nameof(items));
        return new(GgufValueType.Array, elementType, items);
    }

    public string AsString() => Expect<string>(GgufValueType.String);
    public uint AsUInt32() => Expect<uint>(GgufValueType.UInt32);
    public float AsFloat32() => Expect<float>(GgufValueType.Float32);
    public bool AsBool() => Expect<bool>(GgufValueType.Bool);

    /// <summary>Any integer type as a 64-bit integer (writers disagree on u32 vs i32 for counts).</summary>
    public long AsInt64() => Raw switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw new InvalidOperationException($"GGUF value of type {Type} is not an integer that fits 64 bits"),
    };

    /// <summary>The elements of an array of <typeparamref name="T"/> (e.g. <c>AsArray&lt;string&gt;()</c> for token texts).</summary>
    public T[] AsArray<T>() => Raw as T[]
        ?? throw new InvalidOperationException($"GGUF value is {Describe()}, not an array of {typeof(T).Name}");

    public bool Equals(GgufValue? other) =>
        other is not null && Type == other.Type && ElementType == other.ElementType && RawEquals(Raw, other.Raw);

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() => HashCode.Combine(Type, ElementType, Count);

    public override string ToString() => Raw switch
    {
        string s => s,
        System.Array => Describe(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Raw.ToString() ?? "",
    };

    internal string Describe() => IsArray ? $"array of {Count} {ElementType}" : Type.ToString();

    internal static GgufValueType ElementTypeOf(Type clr) => clr switch
    {
        _ when clr == typeof(byte) => GgufValueType.UInt8,
        _ when clr == typeof(sbyte) => GgufValueType.Int8,
        _ when clr == typeof(ushort) => GgufValueType.UInt16,
        _ when clr == typeof(short) => GgufValueType.Int16,
        _ when clr == typeof(uint) => GgufValueType.UInt32,
        _ when clr == typeof(int) => GgufValueType.Int32,
        _ when clr == typeof(float) => GgufValueType.Float32,
        _ when clr == typeof(bool) => GgufValueType.Bool,
        _ when clr == typeof(string) => GgufValueType.String,
        _ when clr == typeof(ulong) => GgufValueType.UInt64,
        _ when clr == typeof(long) => GgufValueType.Int64,
        _ when clr == typeof(double) => GgufValueType.Float64,
        _ when clr == typeof(GgufValue) => GgufValueType.Array,
        _ => throw new ArgumentException($"{clr.Name} is not a GGUF element type"),
    };

    private T Expect<T>(GgufValueType type) => Type == type
        ? (T)Raw
        : throw new InvalidOperationException($"GGUF value is {Describe()}, not {type}");

    // Bit-exact so that NaN payloads and -0 survive a round trip comparison.
    private static bool RawEquals(object a, object b) => (a, b) switch
    {
        (float x, float y) => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y),
        (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (string[] x, string[] y) => x.AsSpan().SequenceEqual(y),
        (GgufValue[] x, GgufValue[] y) => x.AsSpan().SequenceEqual(y),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (sbyte[] x, sbyte[] y) => BytesEqual<sbyte>(x, y),
        (ushort[] x, ushort[] y) => BytesEqual<ushort>(x, y),
        (short[] x, short[] y) => BytesEqual<short>(x, y),
        (uint[] x, uint[] y) => BytesEqual<uint>(x, y),
        (int[] x, int[] y) => BytesEqual<int>(x, y),
        (float[] x, float[] y) => BytesEqual<float>(x, y),
        (bool[] x, bool[] y) => x.AsSpan().SequenceEqual(y),
        (ulong[] x, ulong[] y) => BytesEqual<ulong>(x, y),
        (long[] x, long[] y) => BytesEqual<long>(x, y),
        (double[] x, double[] y) => BytesEqual<double>(x, y),
        _ => a.Equals(b),
    };

    private static bool BytesEqual<T>(T[] x, T[] y) where T : unmanaged =>
        MemoryMarshal.AsBytes(x.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(y.AsSpan()));
}
