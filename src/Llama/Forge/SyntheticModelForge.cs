using System.Diagnostics;
using Chorus.Llama.Gguf;

namespace Chorus.Llama.Forge;

/// <summary>What a forge wrote.</summary>
public sealed record ForgedModel(string Path, long Parameters, long FileBytes, int VocabularySize, int TensorCount, TimeSpan Elapsed);

/// <summary>
/// Writes llama-architecture GGUF models with seeded random weights and a real tokenizer: small, deterministic models
/// that go through llama.cpp's real loading path. The same spec gives the same bytes on every machine.
/// </summary>
public static class SyntheticModelForge
{
    /// <summary>Elements drawn from one random stream; streams are independent, so chunks fill in parallel yet deterministically.</summary>
    private const int ChunkElements = 1 << 16;

    /// <summary>
    /// Forges <paramref name="spec"/> into <paramref name="outputPath"/>, tensor by tensor: at most one tensor's floats are held
    /// in memory. Progress is reported after each tensor.
    /// </summary>
    public static ForgedModel Write(SyntheticModelSpec spec, string outputPath, IProgress<ForgeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        spec.Validate();
        var clock = Stopwatch.StartNew();
        var vocabularyPath = VocabularyFiles.Resolve(spec.Vocabulary);
        using var vocabulary = GgufFile.Open(vocabularyPath);
        var vocabularySize = SyntheticModelMetadata.VocabularySize(vocabulary);
        var plan = SyntheticTensorPlan.For(spec, vocabularySize);
        var metadata = SyntheticModelMetadata.Build(spec, vocabulary, vocabularySize);

        using var writer = GgufWriter.Create(outputPath, metadata, plan.Select(t => t.Spec));
        var buffer = GC.AllocateUninitializedArray<float>(checked((int)plan.Max(t => t.Spec.ElementCount)));
        var parameters = 0L;
        for (var i = 0; i < plan.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = plan[i];
            var values = buffer.AsSpan(0, (int)tensor.Spec.ElementCount);
            Fill(buffer, values.Length, tensor, spec.Seed, i);
            writer.WriteTensor(tensor.Name, values);
            parameters += values.Length;
            var info = writer.Tensors[i];
            progress?.Report(new ForgeProgress(tensor.Name, i + 1, plan.Count, writer.DataOffset + (long)info.Offset + info.ByteSize, writer.ExpectedLength));
        }
        writer.Complete();
        return new ForgedModel(writer.Path, parameters, new FileInfo(writer.Path).Length, vocabularySize, plan.Count, clock.Elapsed);
    }

    private static void Fill(float[] buffer, int count, SyntheticTensor tensor, ulong seed, int index)
    {
        if (tensor.Ones)
        {
            buffer.AsSpan(0, count).Fill(1f);
            return;
        }
        var chunks = (count + ChunkElements - 1) / ChunkElements;
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * ChunkElements;
            var normal = new SeededNormal(SeededNormal.StreamSeed(seed, index, chunk));
            normal.Fill(buffer.AsSpan(start, Math.Min(ChunkElements, count - start)), tensor.Std);
        });
    }
}
