using System.Runtime.InteropServices;

namespace Chorus.Llama.Gguf;

/// <summary>Decodes one metadata value (scalar, string or possibly nested array) at the cursor.</summary>
internal static class GgufValueReader
{
    /// <summary>Arrays of arrays deeper than this are refused: no writer produces them, and recursion must stay bounded.</summary>
    public const int MaxNesting = 8;

    public static GgufValueType ReadType(GgufCursor cursor, string what)
    {
        var at = cursor.Position;
        var raw = cursor.ReadUInt32();
        if (!GgufValueTypes.IsDefined(raw))
            throw cursor.Error($"{cursor.Section} has unknown {what} type {raw} (GGUF defines 0..12)", at);
        return (GgufValueType)raw;
    }

    public static GgufValue Read(GgufCursor cursor, GgufValueType type, int depth = 0) => type switch
    {
        GgufValueType.UInt8 => GgufValue.UInt8(cursor.ReadByte()),
        GgufValueType.Int8 => GgufValue.Int8((sbyte)cursor.ReadByte()),
        GgufValueType.UInt16 => GgufValue.UInt16(cursor.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.Int16((short)cursor.ReadUInt16()),
        GgufValueType.UInt32 => GgufValue.UInt32(cursor.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.Int32((int)cursor.ReadUInt32()),
        GgufValueType.Float32 => GgufValue.Float32(BitConverter.UInt32BitsToSingle(cursor.ReadUInt32())),
        GgufValueType.Bool => GgufValue.Bool(cursor.ReadByte() != 0),
        GgufValueType.String => GgufValue.String(cursor.ReadString()),
        GgufValueType.UInt64 => GgufValue.UInt64(cursor.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.Int64((long)cursor.ReadUInt64()),
        GgufValueType.Float64 => GgufValue.Float64(BitConverter.UInt64BitsToDouble(cursor.ReadUInt64())),
        GgufValueType.Array => ReadArray(cursor, depth),
        _ => throw cursor.Error($"{cursor.Section} has unknown value type {(uint)type}"),
    };

    private static GgufValue ReadArray(GgufCursor cursor, int depth)
    {
        if (depth >= MaxNesting)
            throw cursor.Error($"{cursor.Section} nests arrays more than {MaxNesting} deep");
        var elementType = ReadType(cursor, "array element");
        var count = cursor.ReadCount($"{elementType} array elements", GgufValueTypes.MinimumSize(elementType));
        return elementType switch
        {
            GgufValueType.UInt8 => GgufValue.ArrayOf(ReadBlittable<byte>(cursor, count)),
            GgufValueType.Int8 => GgufValue.ArrayOf(ReadBlittable<sbyte>(cursor, count)),
            GgufValueType.UInt16 => GgufValue.ArrayOf(ReadBlittable<ushort>(cursor, count)),
            GgufValueType.Int16 => GgufValue.ArrayOf(ReadBlittable<short>(cursor, count)),
            GgufValueType.UInt32 => GgufValue.ArrayOf(ReadBlittable<uint>(cursor, count)),
            GgufValueType.Int32 => GgufValue.ArrayOf(ReadBlittable<int>(cursor, count)),
            GgufValueType.Float32 => GgufValue.ArrayOf(ReadBlittable<float>(cursor, count)),
            GgufValueType.UInt64 => GgufValue.ArrayOf(ReadBlittable<ulong>(cursor, count)),
            GgufValueType.Int64 => GgufValue.ArrayOf(ReadBlittable<long>(cursor, count)),
            GgufValueType.Float64 => GgufValue.ArrayOf(ReadBlittable<double>(cursor, count)),
            GgufValueType.Bool => GgufValue.ArrayOf(Array.ConvertAll(ReadBlittable<byte>(cursor, count), b => b != 0)),
            GgufValueType.String => GgufValue.ArrayOf(ReadStrings(cursor, count)),
            _ => GgufValue.ArrayOf(ReadNested(cursor, count, depth)),
        };
    }

    // GGUF is little-endian like every platform .NET runs llama.cpp on, so the bytes land in the array as they are.
    private static T[] ReadBlittable<T>(GgufCursor cursor, int count) where T : unmanaged
    {
        var items = new T[count];
        cursor.ReadExactly(MemoryMarshal.AsBytes(items.AsSpan()));
        return items;
    }

    private static string[] ReadStrings(GgufCursor cursor, int count)
    {
        var items = new string[count];
        for (var i = 0; i < count; i++) items[i] = cursor.ReadString();
        return items;
    }

    private static GgufValue[] ReadNested(GgufCursor cursor, int count, int depth)
    {
        var items = new GgufValue[count];
        for (var i = 0; i < count; i++) items[i] = ReadArray(cursor, depth + 1);
        return items;
    }
}
