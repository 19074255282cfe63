using Chorus.Llama.Gguf;

namespace Chorus.Llama.Tests.Gguf;

public sealed class GgufMetadataRoundTripTests
{
    private static List<KeyValuePair<string, GgufValue>> EveryKind() =>
    [
        new("test.u8", GgufValue.UInt8(250)),
        new("test.i8", GgufValue.Int8(-120)),
        new("test.u16", GgufValue.UInt16(65000)),
        new("test.i16", GgufValue.Int16(-32000)),
        new("test.u32", GgufValue.UInt32(4_000_000_000)),
        new("test.i32", GgufValue.Int32(-2_000_000_000)),
        new("test.f32", GgufValue.Float32(-0.0f)),
        new("test.f32.nan", GgufValue.Float32(float.NaN)),
        new("test.bool", GgufValue.Bool(true)),
        new("test.string", GgufValue.String("héllo ▁wörld 🎵 \0 inside")),
        new("test.empty", GgufValue.String("")),
        new("test.u64", GgufValue.UInt64(ulong.MaxValue)),
        new("test.i64", GgufValue.Int64(long.MinValue)),
        new("test.f64", GgufValue.Float64(Math.PI)),
        new("test.arr.u8", GgufValue.ArrayOf(new byte[] { 0, 1, 255 })),
        new("test.arr.i8", GgufValue.ArrayOf(new sbyte[] { -128, 127 })),
        new("test.arr.u16", GgufValue.ArrayOf(new ushort[] { 1, 65535 })),
        new("test.arr.i16", GgufValue.ArrayOf(new short[] { -1, 2 })),
        new("test.arr.u32", GgufValue.ArrayOf(new uint[] { 7, uint.MaxValue })),
        new("test.arr.i32", GgufValue.ArrayOf(new[] { -7, 8, 9 })),
        new("test.arr.f32", GgufValue.ArrayOf(new[] { 1.5f, float.NegativeInfinity, -0.0f })),
        new("test.arr.bool", GgufValue.ArrayOf(new[] { true, false, true })),
        new("test.arr.string", GgufValue.ArrayOf(new[] { "a", "", "▁the", "日本" })),
        new("test.arr.u64", GgufValue.ArrayOf(new ulong[] { 1, ulong.MaxValue })),
        new("test.arr.i64", GgufValue.ArrayOf(new long[] { long.MinValue, 0 })),
        new("test.arr.f64", GgufValue.ArrayOf(new[] { 1e-300, -2.5 })),
        new("test.arr.empty", GgufValue.ArrayOf(Array.Empty<uint>())),
        new("test.arr.nested", GgufValue.ArrayOf(new[]
        {
            GgufValue.ArrayOf(new[] { "x", "y" }),
            GgufValue.ArrayOf(new[] { 1, 2, 3 }),
            GgufValue.ArrayOf(new[] { GgufValue.ArrayOf(new[] { 0.5 }) }),
        })),
    ];

    [Fact]
    public void Every_value_type_reads_back_identical_and_in_order()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.gguf");
        var written = EveryKind();
        using (var writer = GgufWriter.Create(path, written, []))
            writer.Complete();

        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(written.Select(e => e.Key), file.Metadata.Keys);
        foreach (var (key, value) in written)
            Assert.True(value.Equals(file.Metadata[key]), $"{key}: wrote {value}, read {file.Metadata[key]}");
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Typed_accessors_give_the_stored_values()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.gguf");
        using (var writer = GgufWriter.Create(path, EveryKind(), []))
            writer.Complete();

        using var file = GgufFile.Open(path);
        Assert.Equal("héllo ▁wörld 🎵 \0 inside", file.Metadata["test.string"].AsString());
        Assert.Equal(4_000_000_000L, file.Metadata["test.u32"].AsInt64());
        Assert.Equal(-120L, file.Metadata["test.i8"].AsInt64());
        Assert.Equal(["a", "", "▁the", "日本"], file.Metadata["test.arr.string"].AsArray<string>());
        Assert.Equal(GgufValueType.String, file.Metadata["test.arr.string"].ElementType);
        var nested = file.Metadata["test.arr.nested"].AsArray<GgufValue>();
        Assert.Equal(GgufValueType.Int32, nested[1].ElementType);
        Assert.Equal(0.5, nested[2].AsArray<GgufValue>()[0].AsArray<double>()[0]);
        Assert.Throws<InvalidOperationException>(() => file.Metadata["test.u32"].AsString());
    }

    [Fact]
    public void Values_of_different_type_or_content_are_not_equal()
    {
        Assert.NotEqual(GgufValue.UInt32(1), GgufValue.Int32(1));
        Assert.NotEqual(GgufValue.ArrayOf(new[] { 1, 2 }), GgufValue.ArrayOf(new[] { 1, 3 }));
        Assert.NotEqual(GgufValue.ArrayOf(new uint[] { 1 }), GgufValue.ArrayOf(new[] { 1 }));
        Assert.Equal(GgufValue.ArrayOf(new[] { "a" }), GgufValue.ArrayOf(new[] { "a" }));
    }

    [Fact]
    public void Writer_rejects_duplicate_keys_and_bad_alignment()
    {
        using var dir = new TempDirectory();
        var dup = Assert.Throws<ArgumentException>(() => GgufWriter.Create(dir.File("a.gguf"),
            [new("k", GgufValue.UInt8(1)), new("k", GgufValue.UInt8(2))], []));
        Assert.Contains("'k' is given twice", dup.Message);
        var align = Assert.Throws<ArgumentException>(() => GgufWriter.Create(dir.File("b.gguf"),
            [new(GgufLayout.AlignmentKey, GgufValue.UInt32(48))], []));
        Assert.Contains("power of two", align.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
