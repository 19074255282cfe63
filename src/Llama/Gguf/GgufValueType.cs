namespace Chorus.Llama.Gguf;

/// <summary>gguf.h <c>enum gguf_type</c>: how a metadata value is stored.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

internal static class GgufValueTypes
{
    public static bool IsDefined(uint raw) => raw <= (uint)GgufValueType.Float64;

    /// <summary>Bytes one scalar takes on disk; 0 for strings and arrays (variable).</summary>
    public static int FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Fewest bytes one element can take on disk: what a count must be checked against before allocating.</summary>
    public static int MinimumSize(GgufValueType type) => type switch
    {
        GgufValueType.String => 8,      // the length prefix
        GgufValueType.Array => 4 + 8,   // element type and count
        _ => FixedSize(type),
    };
}
