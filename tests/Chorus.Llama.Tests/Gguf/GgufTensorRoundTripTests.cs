using Chorus.Llama.Gguf;
using Chorus.Llama.Native;

namespace Chorus.Llama.Tests.Gguf;

public sealed class GgufTensorRoundTripTests
{
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    private static string WriteOne(TempDirectory dir, GgmlType type, float[] values, long[] dims, uint? alignment = null)
    {
        var path = dir.File($"{type}.gguf");
        List<KeyValuePair<string, GgufValue>> meta = [new("general.architecture", GgufValue.String("test"))];
        if (alignment is { } a) meta.Add(new(GgufLayout.AlignmentKey, GgufValue.UInt32(a)));
        // a small first tensor so the second one's offset really depends on the padding
        using var writer = GgufWriter.Create(path, meta, [new("first", [3], GgmlType.F32), new("weights", dims, type)]);
        writer.WriteTensor("first", [1f, 2f, 3f]);
        writer.WriteTensor("weights", values);
        writer.Complete();
        return path;
    }

    [Fact]
    public void F32_tensors_read_back_exactly_with_their_table()
    {
        using var dir = new TempDirectory();
        var values = Values(64 * 10, 1);
        values[5] = float.NaN;
        values[6] = -0.0f;
        var path = WriteOne(dir, GgmlType.F32, values, [64, 10]);

        using var file = GgufFile.Open(path);
        var info = file.GetTensor("weights");
        Assert.Equal([64L, 10L], info.Dimensions);
        Assert.Equal(GgmlType.F32, info.Type);
        Assert.Equal(64 * 10 * 4, info.ByteSize);
        Assert.Equal(0ul, info.Offset % file.Alignment);
        var back = file.Dequantize("weights");
        Assert.Equal(
            values.Select(BitConverter.SingleToInt32Bits),
            back.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal([1f, 2f, 3f], file.Dequantize("first"));
    }

    [Fact]
    public void F16_tensors_read_back_within_half_precision()
    {
        using var dir = new TempDirectory();
        var values = Values(32 * 8, 2);
        var path = WriteOne(dir, GgmlType.F16, values, [32, 8]);

        using var file = GgufFile.Open(path);
        Assert.Equal(32 * 8 * 2, file.GetTensor("weights").ByteSize);
        var back = file.Dequantize("weights");
        for (var i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(back[i] - values[i]) <= Math.Abs(values[i]) / 1024 + 1e-7, $"#{i}: {values[i]} → {back[i]}");
        Assert.Equal(values.Select(v => (float)(Half)v), back);
    }

    [Fact]
    public void Q8_0_tensors_read_back_within_the_block_quantisation_error()
    {
        using var dir = new TempDirectory();
        var values = Values(64 * 6, 3);
        var path = WriteOne(dir, GgmlType.Q8_0, values, [64, 6]);

        using var file = GgufFile.Open(path);
        var info = file.GetTensor("weights");
        Assert.Equal(64 * 6 / 32 * 34, info.ByteSize); // per block: f16 scale + 32 int8
        var back = file.Dequantize("weights");
        for (var block = 0; block < values.Length / 32; block++)
        {
            var slice = values.AsSpan(block * 32, 32);
            var amax = 0f;
            foreach (var v in slice) amax = Math.Max(amax, Math.Abs(v));
            var step = amax / 127;
            for (var j = 0; j < 32; j++)
            {
                var i = block * 32 + j;
                Assert.True(Math.Abs(back[i] - values[i]) <= step * 0.51 + amax * 1e-3, $"#{i}: {values[i]} → {back[i]} (step {step})");
            }
        }
        Assert.NotEqual(values, back); // it really was quantised
    }

    [Fact]
    public void Q8_0_bytes_are_the_ggml_block_layout()
    {
        using var dir = new TempDirectory();
        var values = Values(32, 4);
        var path = WriteOne(dir, GgmlType.Q8_0, values, [32, 1]);

        using var file = GgufFile.Open(path);
        var raw = file.ReadTensorData("weights");
        var scale = (float)BitConverter.ToHalf(raw, 0);
        var amax = values.Max(Math.Abs);
        Assert.Equal(amax / 127, scale, 1e-3f);
        // decode by hand: an independent check of ggml's own to_float
        var manual = Enumerable.Range(0, 32).Select(j => (sbyte)raw[2 + j] * scale).ToArray();
        Assert.Equal(manual, file.Dequantize("weights"));
    }

    [Fact]
    public void Custom_alignment_pads_every_tensor_start()
    {
        using var dir = new TempDirectory();
        var path = WriteOne(dir, GgmlType.F32, Values(40, 5), [40], alignment: 256);

        using var file = GgufFile.Open(path);
        Assert.Equal(256u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 256);
        Assert.All(file.Tensors, t => Assert.Equal(0ul, t.Offset % 256));
        Assert.Equal(256ul, file.GetTensor("weights").Offset);
    }

    [Fact]
    public void Raw_bytes_copy_into_another_file_unchanged()
    {
        using var dir = new TempDirectory();
        var source = WriteOne(dir, GgmlType.Q8_0, Values(64 * 4, 6), [64, 4]);
        var copy = dir.File("copy.gguf");
        using (var from = GgufFile.Open(source))
        using (var writer = GgufWriter.Create(copy, from.Metadata, from.Tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, t.Type))))
        {
            foreach (var t in from.Tensors) writer.WriteTensorData(t.Name, from.ReadTensorData(t.Name));
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
    }

    [Fact]
    public void Writer_enforces_declared_order_sizes_and_completeness()
    {
        using var dir = new TempDirectory();
        var path = dir.File("order.gguf");
        using (var writer = GgufWriter.Create(path, [], [new("a", [32], GgmlType.F32), new("b", [32], GgmlType.Q8_0)]))
        {
            var order = Assert.Throws<InvalidOperationException>(() => writer.WriteTensor("b", new float[32]));
            Assert.Contains("expected 'a'", order.Message);
            var size = Assert.Throws<ArgumentException>(() => writer.WriteTensor("a", new float[31]));
            Assert.Contains("32 elements", size.Message);
            writer.WriteTensor("a", new float[32]);
            var incomplete = Assert.Throws<InvalidOperationException>(writer.Complete);
            Assert.Contains("'b'", incomplete.Message);
        }
        // an abandoned writer leaves neither the model nor its temporary file behind
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Writer_rejects_rows_that_do_not_fill_quantisation_blocks()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ArgumentException>(() => GgufWriter.Create(dir.File("x.gguf"), [], [new("w", [48, 2], GgmlType.Q8_0)]));
        Assert.Contains("block of 32", e.Message);
    }
}
