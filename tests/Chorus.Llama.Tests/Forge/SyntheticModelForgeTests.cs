using System.Security.Cryptography;
using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;
using Chorus.Llama.Native;

namespace Chorus.Llama.Tests.Forge;

/// <summary>What a forged file contains: keys and shapes per TRAINING.md, the whole tokenizer, seeded weights.</summary>
public sealed class SyntheticModelForgeTests
{
    [Theory]
    [InlineData(SyntheticWeightType.F32, GgmlType.F32, 0u)]
    [InlineData(SyntheticWeightType.F16, GgmlType.F16, 1u)]
    [InlineData(SyntheticWeightType.Q8_0, GgmlType.Q8_0, 7u)]
    public void Keys_and_tensor_shapes_are_those_of_a_llama_model(SyntheticWeightType type, GgmlType matrixType, uint fileType)
    {
        var spec = ForgedTestModels.Small("llama-spm", type, kvHeads: 2);
        using var file = GgufFile.Open(ForgedTestModels.PathOf(spec));
        var m = file.Metadata;
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(fileType, m["general.file_type"].AsUInt32());
        Assert.Equal(256u, m["llama.context_length"].AsUInt32());
        Assert.Equal(64u, m["llama.embedding_length"].AsUInt32());
        Assert.Equal(2u, m["llama.block_count"].AsUInt32());
        Assert.Equal(128u, m["llama.feed_forward_length"].AsUInt32());
        Assert.Equal(4u, m["llama.attention.head_count"].AsUInt32());
        Assert.Equal(2u, m["llama.attention.head_count_kv"].AsUInt32());
        Assert.Equal(16u, m["llama.rope.dimension_count"].AsUInt32());
        Assert.Equal(1e-5f, m["llama.attention.layer_norm_rms_epsilon"].AsFloat32());
        Assert.Equal(10000f, m["llama.rope.freq_base"].AsFloat32());
        Assert.Equal(32000u, m["llama.vocab_size"].AsUInt32());

        Assert.Equal(2 + 2 * 9 + 1, file.Tensors.Count);
        Shape(file, "token_embd.weight", matrixType, 64, 32000);
        Shape(file, "output_norm.weight", GgmlType.F32, 64);
        Shape(file, "output.weight", matrixType, 64, 32000);
        for (var layer = 0; layer < 2; layer++)
        {
            Shape(file, $"blk.{layer}.attn_norm.weight", GgmlType.F32, 64);
            Shape(file, $"blk.{layer}.attn_q.weight", matrixType, 64, 64);
            Shape(file, $"blk.{layer}.attn_k.weight", matrixType, 64, 32); // 2 KV heads of 16
            Shape(file, $"blk.{layer}.attn_v.weight", matrixType, 64, 32);
            Shape(file, $"blk.{layer}.attn_output.weight", matrixType, 64, 64);
            Shape(file, $"blk.{layer}.ffn_norm.weight", GgmlType.F32, 64);
            Shape(file, $"blk.{layer}.ffn_gate.weight", matrixType, 64, 128);
            Shape(file, $"blk.{layer}.ffn_up.weight", matrixType, 64, 128);
            Shape(file, $"blk.{layer}.ffn_down.weight", matrixType, 128, 64);
        }
    }

    private static void Shape(GgufFile file, string name, GgmlType type, params long[] dims)
    {
        var t = file.GetTensor(name);
        Assert.Equal(type, t.Type);
        Assert.Equal(dims, t.Dimensions);
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("gpt-2")]
    [InlineData("qwen2")]
    public void The_whole_tokenizer_is_copied_with_its_types(string vocabulary)
    {
        using var source = GgufFile.Open(VocabularyFiles.Resolve(vocabulary));
        using var forged = GgufFile.Open(ForgedTestModels.PathOf(ForgedTestModels.Small(vocabulary, SyntheticWeightType.F16)));
        var expected = source.Metadata.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expected);
        foreach (var (key, value) in expected)
            Assert.True(forged.Metadata.TryGetValue(key, out var copy) && value.Equals(copy), $"{key} differs or is missing");
        Assert.Equal(expected.Count, forged.Metadata.Keys.Count(k => k.StartsWith("tokenizer.", StringComparison.Ordinal)));
        Assert.Equal((uint)source.Metadata["tokenizer.ggml.tokens"].Count, forged.Metadata["llama.vocab_size"].AsUInt32());
    }

    [Fact]
    public void Weights_follow_the_initialisation_scheme()
    {
        using var file = GgufFile.Open(ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32)));
        Assert.All(file.Dequantize("blk.0.attn_norm.weight"), v => Assert.Equal(1f, v));
        Assert.Equal(1.0, Std(file.Dequantize("token_embd.weight")), 0.01);
        Assert.Equal(0.02, Std(file.Dequantize("blk.1.attn_q.weight")), 0.001);
        Assert.Equal(0.02 / 2, Std(file.Dequantize("blk.1.ffn_down.weight")), 0.0005); // 1/sqrt(2·2 layers)
        Assert.Equal(3.0 / 8, Std(file.Dequantize("output.weight")), 0.01);              // logit std 3 / sqrt(64)
    }

    [Fact]
    public void The_same_seed_draws_the_same_weights_whatever_the_storage_type()
    {
        using var f32 = GgufFile.Open(ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32)));
        using var q8 = GgufFile.Open(ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.Q8_0)));
        var exact = f32.Dequantize("token_embd.weight");
        var quantised = q8.Dequantize("token_embd.weight");
        Assert.Equal(exact.Length, quantised.Length);
        var worst = 0.0;
        for (var block = 0; block < exact.Length / 32; block++)
        {
            var amax = 0f;
            for (var j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(exact[block * 32 + j]));
            for (var j = 0; j < 32; j++)
                worst = Math.Max(worst, Math.Abs(exact[block * 32 + j] - quantised[block * 32 + j]) / (amax / 127));
        }
        Assert.InRange(worst, 0.3, 0.6); // within about half a quantisation step, and really quantised
    }

    private static double Std(float[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
    }

    [Fact]
    public void The_same_seed_forges_the_same_bytes_and_another_seed_does_not()
    {
        var dir = Path.Combine(Path.GetTempPath(), "chorus-forge-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = ForgedTestModels.Small("gpt-2", SyntheticWeightType.Q8_0, seed: 11);
            SyntheticModelForge.Write(spec, Path.Combine(dir, "a.gguf"));
            SyntheticModelForge.Write(spec, Path.Combine(dir, "b.gguf"));
            SyntheticModelForge.Write(spec with { Seed = 12 }, Path.Combine(dir, "c.gguf"));
            var a = Hash(Path.Combine(dir, "a.gguf"));
            Assert.Equal(a, Hash(Path.Combine(dir, "b.gguf")));
            Assert.NotEqual(a, Hash(Path.Combine(dir, "c.gguf")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_forged_file_is_pinned_byte_for_byte()
    {
        // Pinned: a change here means every machine's test models change; only update it on purpose.
        const string Pinned = "45E957E9627E7F6F1173A8D01889E656665300F8968EA358F403E147655463A9";
        Assert.Equal(Pinned, Hash(ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.Q8_0))));
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    [Fact]
    public void Progress_is_reported_per_tensor_up_to_the_whole_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chorus-progress-{Guid.NewGuid():N}.gguf");
        try
        {
            var reports = new List<ForgeProgress>();
            var result = SyntheticModelForge.Write(ForgedTestModels.Small("llama-spm", SyntheticWeightType.F16), path, new SynchronousProgress(reports.Add));
            Assert.Equal(result.TensorCount, reports.Count);
            Assert.Equal(Enumerable.Range(1, reports.Count), reports.Select(r => r.TensorsWritten));
            Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesWritten < p.Second.BytesWritten));
            Assert.Equal(1.0, reports[^1].Fraction, 0.0001);
            Assert.Equal(new FileInfo(path).Length, reports[^1].TotalBytes);
            Assert.Equal(result.FileBytes, new FileInfo(path).Length);
            Assert.Equal(32000, result.VocabularySize);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_cancelled_forge_leaves_no_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "chorus-cancel-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(dir, "cancelled.gguf");
        using var cts = new CancellationTokenSource();
        try
        {
            Assert.ThrowsAny<OperationCanceledException>(() => SyntheticModelForge.Write(
                ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32), path, new SynchronousProgress(_ => cts.Cancel()), cts.Token));
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; a test needs the reports in order and complete on return.</summary>
    private sealed class SynchronousProgress(Action<ForgeProgress> report) : IProgress<ForgeProgress>
    {
        public void Report(ForgeProgress value) => report(value);
    }
}
