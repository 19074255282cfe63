using System.Diagnostics;
using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;
using Chorus.Llama.Native;

namespace Chorus.Llama.Merging;

/// <summary>What a merge wrote.</summary>
public sealed record MergedModel(string Path, MergeMethod Method, int TensorCount, long Parameters, long FileBytes, TimeSpan Elapsed);

/// <summary>
/// Merges GGUF models tensor by tensor: every input tensor is dequantised to floats with ggml's own converter, merged by the
/// chosen method, and written in the output type (1-D tensors — norms — stay F32, as llama.cpp's quantiser keeps them).
/// Metadata and tokenizer come from the first model; <c>general.name</c>, <c>general.file_type</c> and <c>chorus.merge.*</c>
/// describe the merge. At most one tensor of each input is held in memory.
/// </summary>
public static class ModelMerger
{
    public static MergedModel Merge(MergeRequest request, IProgress<ForgeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var clock = Stopwatch.StartNew();
        var files = new List<GgufFile>();
        try
        {
            foreach (var path in request.Models) files.Add(GgufFile.Open(path));
            GgufFile? baseFile = null;
            if (request.BaseModel is not null) files.Add(baseFile = GgufFile.Open(request.BaseModel));
            MergeCompatibility.Check(files);
            var models = files.Take(request.Models.Count).ToList();
            var first = models[0];
            var specs = first.Tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, OutputType(t, request.Type))).ToList();
            using var writer = GgufWriter.Create(request.OutputPath, MergedMetadata.Build(first, request), specs);
            var weights = request.EffectiveWeights();
            var layers = SlerpSchedule.LayerCount(specs.Select(s => s.Name));
            var parameters = 0L;
            for (var index = 0; index < specs.Count; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = specs[index].Name;
                var inputs = models.Select(f => (ReadOnlyMemory<float>)f.Dequantize(name)).ToList();
                var baseValues = baseFile?.Dequantize(name);
                var merged = new float[inputs[0].Length];
                MergeTensor(request, weights, index, name, layers, inputs, baseValues, merged);
                writer.WriteTensor(name, merged);
                parameters += merged.Length;
                var info = writer.Tensors[index];
                progress?.Report(new ForgeProgress(name, index + 1, specs.Count, writer.DataOffset + (long)info.Offset + info.ByteSize, writer.ExpectedLength));
            }
            writer.Complete();
            return new MergedModel(writer.Path, request.Method, specs.Count, parameters, new FileInfo(writer.Path).Length, clock.Elapsed);
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }

    /// <summary>One tensor through the request's method.</summary>
    internal static void MergeTensor(MergeRequest request, double[] weights, int tensorIndex, string tensorName, int layers,
        IReadOnlyList<ReadOnlyMemory<float>> models, float[]? baseValues, Span<float> output)
    {
        switch (request.Method)
        {
            case MergeMethod.Linear:
                LinearMerge.Merge(models, weights, output, request.Normalize ?? true);
                break;
            case MergeMethod.TaskArithmetic or MergeMethod.Ties or MergeMethod.Dare or MergeMethod.DareTies:
                TaskVectorMerge.Merge(baseValues, models, weights, request.TaskVectorOptions(), tensorIndex, output);
                break;
            case MergeMethod.Slerp:
                var t = request.SlerpT is { } schedule ? schedule.For(tensorName, layers) : weights[1] / (weights[0] + weights[1]);
                SlerpMerge.Merge(models[0].Span, models[1].Span, t, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Method, "unknown merge method");
        }
    }

    /// <summary>The requested type for matrices whose rows hold whole blocks of it; F32 for vectors and anything else.</summary>
    internal static GgmlType OutputType(GgufTensorInfo tensor, SyntheticWeightType type)
    {
        if (tensor.Dimensions.Count < 2) return GgmlType.F32;
        var ggml = type.ToGgmlType();
        return tensor.Dimensions[0] % GgmlTypeInfo.Get(ggml).BlockSize == 0 ? ggml : GgmlType.F32;
    }
}
