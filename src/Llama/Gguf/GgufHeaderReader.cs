using System.Text;

namespace Chorus.Llama.Gguf;

/// <summary>What the header of a GGUF file says: everything but the tensor bytes.</summary>
internal sealed record GgufHeader(
    uint Version,
    OrderedDictionary<string, GgufValue> Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors,
    uint Alignment,
    long DataOffset,
    long FileLength);

/// <summary>Parses and validates a GGUF header; any inconsistency becomes a <see cref="GgufFormatException"/>.</summary>
internal static class GgufHeaderReader
{
    private const int MinimumMetadataEntryBytes = 8 + 4 + 1;   // key length, type, smallest value
    private const int MinimumTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset

    public static GgufHeader Read(string path)
    {
        using var cursor = new GgufCursor(path);
        var (version, tensorCount, metadataCount) = ReadPreamble(cursor);
        var metadata = ReadMetadata(cursor, metadataCount);
        var alignment = AlignmentOf(cursor, metadata);
        var tensors = ReadTensorInfos(cursor, tensorCount);
        var dataOffset = GgufLayout.Align(cursor.Position, alignment);
        CheckTensorData(cursor, tensors, alignment, dataOffset);
        return new GgufHeader(version, metadata, tensors, alignment, dataOffset, cursor.Length);
    }

    private static (uint Version, int Tensors, int Metadata) ReadPreamble(GgufCursor cursor)
    {
        cursor.Section = "the header (magic)";
        if (cursor.Length < 4)
            throw cursor.Error($"file is truncated in the header: {cursor.Length} bytes, too short to hold the 'GGUF' magic");
        var magic = cursor.ReadUInt32();
        if (magic != GgufLayout.Magic)
            throw cursor.Error($"bad magic 0x{magic:X8} ('{Printable(magic)}'), expected 'GGUF': not a GGUF file", 0);
        cursor.Section = "the header (version)";
        var version = cursor.ReadUInt32();
        if (version is < 2 or > 3)
            throw cursor.Error($"unsupported GGUF version {version}; Chorus and llama.cpp read versions 2 and 3", 4);
        cursor.Section = "the header (counts)";
        var tensors = cursor.ReadCount("tensors", MinimumTensorInfoBytes);
        var metadata = cursor.ReadCount("metadata entries", MinimumMetadataEntryBytes);
        return (version, tensors, metadata);
    }

    private static OrderedDictionary<string, GgufValue> ReadMetadata(GgufCursor cursor, int count)
    {
        var metadata = new OrderedDictionary<string, GgufValue>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            cursor.Section = $"metadata entry {i + 1} of {count}";
            var at = cursor.Position;
            var key = cursor.ReadString();
            cursor.Section = $"metadata entry {i + 1} of {count} ('{key}')";
            var type = GgufValueReader.ReadType(cursor, "value");
            var value = GgufValueReader.Read(cursor, type);
            if (!metadata.TryAdd(key, value))
                throw cursor.Error($"metadata key '{key}' appears twice", at);
        }
        return metadata;
    }

    private static uint AlignmentOf(GgufCursor cursor, OrderedDictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue(GgufLayout.AlignmentKey, out var value)) return GgufLayout.DefaultAlignment;
        if (value.Type != GgufValueType.UInt32)
            throw new GgufFormatException(cursor.Path, $"'{GgufLayout.AlignmentKey}' is {value.Describe()}, must be UInt32");
        var alignment = value.AsUInt32();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new GgufFormatException(cursor.Path, $"'{GgufLayout.AlignmentKey}' is {alignment}, must be a power of two");
        return alignment;
    }

    private static List<GgufTensorInfo> ReadTensorInfos(GgufCursor cursor, int count)
    {
        var tensors = new List<GgufTensorInfo>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            cursor.Section = $"tensor info {i + 1} of {count}";
            var at = cursor.Position;
            var name = cursor.ReadString();
            cursor.Section = $"tensor info {i + 1} of {count} ('{name}')";
            if (Encoding.UTF8.GetByteCount(name) > GgufLayout.MaxTensorNameBytes)
                throw cursor.Error($"tensor name '{name}' is longer than ggml's {GgufLayout.MaxTensorNameBytes} bytes", at);
            if (!names.Add(name))
                throw cursor.Error($"tensor '{name}' appears twice", at);
            var dims = ReadDimensions(cursor, name);
            var typeAt = cursor.Position;
            var rawType = cursor.ReadUInt32();
            var type = GgmlTypeInfo.TryGet(rawType)
                ?? throw cursor.Error($"tensor '{name}' has unknown ggml type {rawType}", typeAt);
            var offset = cursor.ReadUInt64();
            tensors.Add(new GgufTensorInfo(name, dims, type.Type, offset, ByteSize(cursor, name, dims, type, at)));
        }
        return tensors;
    }

    private static long[] ReadDimensions(GgufCursor cursor, string name)
    {
        var at = cursor.Position;
        var rank = cursor.ReadUInt32();
        if (rank is 0 or > GgufLayout.MaxDimensions)
            throw cursor.Error($"tensor '{name}' has {rank} dimensions; ggml supports 1 to {GgufLayout.MaxDimensions}", at);
        var dims = new long[rank];
        for (var d = 0; d < rank; d++)
        {
            var dimAt = cursor.Position;
            var n = cursor.ReadUInt64();
            if (n > long.MaxValue)
                throw cursor.Error($"tensor '{name}' has dimension {d} of {n}, which is negative as ggml's int64", dimAt);
            dims[d] = (long)n;
        }
        return dims;
    }

    private static long ByteSize(GgufCursor cursor, string name, long[] dims, GgmlTypeInfo type, long at)
    {
        if (dims[0] % type.BlockSize != 0)
            throw cursor.Error($"tensor '{name}' has rows of {dims[0]} elements, not a multiple of {type.Name}'s block of {type.BlockSize}", at);
        try
        {
            var rows = 1L;
            for (var d = 1; d < dims.Length; d++) rows = checked(rows * dims[d]);
            return checked(type.RowBytes(dims[0]) * rows);
        }
        catch (OverflowException)
        {
            throw cursor.Error($"tensor '{name}' [{string.Join(", ", dims)}] is too large to address", at);
        }
    }

    private static void CheckTensorData(GgufCursor cursor, List<GgufTensorInfo> tensors, uint alignment, long dataOffset)
    {
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
                throw new GgufFormatException(cursor.Path, $"tensor '{t.Name}' starts at data offset {t.Offset}, not a multiple of the alignment {alignment}");
            var length = (ulong)cursor.Length;
            if (t.Offset > length || (ulong)dataOffset + t.Offset + (ulong)t.ByteSize > length)
            {
                var start = t.Offset > length ? "beyond the end" : $"at byte {(ulong)dataOffset + t.Offset}";
                throw new GgufFormatException(cursor.Path,
                    $"file is truncated in the tensor data: tensor '{t.Name}' ({t.ByteSize} bytes) starts {start} but the file is {cursor.Length} bytes long");
            }
        }
    }

    private static string Printable(uint magic)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            var b = (byte)(magic >> (8 * i));
            chars[i] = b is >= 0x20 and < 0x7F ? (char)b : '.';
        }
        return new string(chars);
    }
}
