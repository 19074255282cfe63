using System.Buffers.Binary;
using System.Text;
using Chorus.Llama.Gguf;
using Chorus.Llama.Native;

namespace Chorus.Llama.Tests.Gguf;

/// <summary>Broken files must fail with a specific <see cref="GgufFormatException"/>, never a crash or a huge allocation.</summary>
public sealed class GgufReaderErrorTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly byte[] _valid;

    public GgufReaderErrorTests()
    {
        var path = _dir.File("valid.gguf");
        using (var writer = GgufWriter.Create(path,
            [new("general.architecture", GgufValue.String("llama")), new("tokens", GgufValue.ArrayOf(new[] { "a", "b", "c" }))],
            [new("weights", [32, 4], GgmlType.F32)]))
        {
            writer.WriteTensor("weights", new float[128]);
            writer.Complete();
        }
        _valid = File.ReadAllBytes(path);
    }

    public void Dispose() => _dir.Dispose();

    private GgufFormatException Fails(byte[] bytes, string name = "broken.gguf")
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        return e;
    }

    private int IndexOf(string ascii) => _valid.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii));

    [Fact]
    public void A_missing_file_or_a_directory_is_named()
    {
        var missing = Assert.Throws<GgufFormatException>(() => GgufFile.Open(_dir.File("nope.gguf")));
        Assert.Contains("not found", missing.Message);
        var directory = Assert.Throws<GgufFormatException>(() => GgufFile.Open(_dir.Path));
        Assert.Contains("directory", directory.Message);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void The_valid_file_opens_as_version_2_or_3(uint version)
    {
        var bytes = (byte[])_valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version); // v3 only added big-endian files
        var path = _dir.File($"ok-v{version}.gguf");
        File.WriteAllBytes(path, bytes);
        using var file = GgufFile.Open(path);
        Assert.Equal(version, file.Version);
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(128, file.Dequantize("weights").Length);
    }

    [Fact]
    public void Wrong_magic_is_reported_with_the_bytes_found()
    {
        var bytes = (byte[])_valid.Clone();
        "GGML"u8.CopyTo(bytes);
        var e = Fails(bytes);
        Assert.Contains("bad magic", e.Message);
        Assert.Contains("'GGML'", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void Unsupported_versions_are_named(uint version)
    {
        var bytes = (byte[])_valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        var e = Fails(bytes);
        Assert.Contains($"unsupported GGUF version {version}", e.Message);
    }

    [Theory]
    [InlineData("empty", 0, "header")]
    [InlineData("magic", 3, "header")]
    [InlineData("version", 6, "header (version)")]
    [InlineData("counts", 20, "header (counts)")]
    [InlineData("tables", 30, "header (counts) claims 1 tensors")] // too short for the entries it announces
    [InlineData("first key", 51, "truncated in metadata entry 1 of 2")]
    public void Truncation_in_the_header_names_the_section(string where, int length, string section)
    {
        var e = Fails(_valid[..length], $"cut-{where}.gguf");
        Assert.Contains("truncated", e.Message);
        Assert.Contains(section, e.Message);
    }

    [Fact]
    public void Truncation_inside_a_string_array_names_the_key()
    {
        var e = Fails(_valid[..(IndexOf("tokens") + 48)]); // inside the last string, "c"
        Assert.Contains("truncated in metadata entry 2 of 2 ('tokens')", e.Message);
    }

    [Fact]
    public void Truncation_in_the_tensor_table_names_the_tensor()
    {
        var e = Fails(_valid[..(IndexOf("weights") + 12)]);
        Assert.Contains("truncated in tensor info 1 of 1 ('weights')", e.Message);
    }

    [Fact]
    public void Truncation_in_the_tensor_data_names_the_tensor_and_sizes()
    {
        var e = Fails(_valid[..^10]);
        Assert.Contains("truncated in the tensor data", e.Message);
        Assert.Contains("'weights' (512 bytes)", e.Message);
        Assert.Contains($"{_valid.Length - 10} bytes long", e.Message);
    }

    [Fact]
    public void Absurd_counts_are_refused_before_allocating()
    {
        var bytes = (byte[])_valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), 1UL << 60); // metadata entries
        var e = Fails(bytes);
        Assert.Contains($"claims {1UL << 60} metadata entries", e.Message);

        bytes = (byte[])_valid.Clone();
        var arrayCount = IndexOf("tokens") + "tokens".Length + 4 + 4; // key, type ARRAY, element type STRING
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(arrayCount), 0x7FFF_FFFF_FFFF_FFFF);
        e = Fails(bytes, "huge-array.gguf");
        Assert.Contains("String array elements", e.Message);
        Assert.Contains("('tokens')", e.Message);
    }

    [Theory]
    [InlineData(99u)]
    [InlineData(4u)] // Q4_2: retired, ggml keeps an empty slot
    [InlineData(43u)] // GGML_TYPE_COUNT: ggml would abort the process if asked
    public void Unknown_tensor_types_are_named(uint type)
    {
        var bytes = (byte[])_valid.Clone();
        var typeField = IndexOf("weights") + "weights".Length + 4 + 2 * 8; // n_dims, two dims
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(typeField), type);
        var e = Fails(bytes);
        Assert.Contains($"tensor 'weights' has unknown ggml type {type}", e.Message);
    }

    [Fact]
    public void Unknown_value_types_are_named()
    {
        var bytes = (byte[])_valid.Clone();
        var typeField = IndexOf("general.architecture") + "general.architecture".Length;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(typeField), 13);
        var e = Fails(bytes);
        Assert.Contains("unknown value type 13", e.Message);
        Assert.Contains("'general.architecture'", e.Message);
    }

    [Fact]
    public void Random_bytes_always_give_a_format_error()
    {
        var random = new Random(20240601);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 4096)];
            random.NextBytes(bytes);
            if (i % 2 == 1 && bytes.Length >= 8)
            {
                "GGUF"u8.CopyTo(bytes); // get past the magic and version to the counts and tables
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 3);
            }
            Fails(bytes, $"random-{i}.gguf");
        }
    }

    [Fact]
    public void Corrupting_any_header_byte_opens_or_fails_cleanly()
    {
        var random = new Random(7);
        var headerEnd = IndexOf("weights") + 40;
        for (var i = 0; i < 400; i++)
        {
            var bytes = (byte[])_valid.Clone();
            for (var k = 0; k < 3; k++) bytes[random.Next(headerEnd)] = (byte)random.Next(256);
            var path = _dir.File($"mutant-{i}.gguf");
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = GgufFile.Open(path);
            }
            catch (GgufFormatException e)
            {
                Assert.Contains(path, e.Message);
            }
        }
    }
}
