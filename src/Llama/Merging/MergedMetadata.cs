using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;

namespace Chorus.Llama.Merging;

/// <summary>The merged file's metadata: the first model's, with the name, file type and a record of the merge replaced or added.</summary>
internal static class MergedMetadata
{
    private const string NameKey = "general.name";
    private const string FileTypeKey = "general.file_type";
    private const string QuantizationVersionKey = "general.quantization_version";
    private const string MergePrefix = "chorus.merge.";

    public static List<KeyValuePair<string, GgufValue>> Build(GgufFile first, MergeRequest request)
    {
        var replaced = new HashSet<string>(StringComparer.Ordinal) { NameKey, FileTypeKey, QuantizationVersionKey };
        var entries = first.Metadata.Where(e => !replaced.Contains(e.Key) && !e.Key.StartsWith(MergePrefix, StringComparison.Ordinal)).ToList();
        var names = request.Models.Select(Path.GetFileNameWithoutExtension).ToArray();
        entries.Add(new(NameKey, GgufValue.String($"{request.Method.ToText()} merge of {string.Join(", ", names)}")));
        entries.Add(new(FileTypeKey, GgufValue.UInt32((uint)request.Type.ToFileType())));
        if (request.Type == SyntheticWeightType.Q8_0)
            entries.Add(new(QuantizationVersionKey, GgufValue.UInt32(2))); // what llama.cpp's quantiser records
        entries.Add(new(MergePrefix + "method", GgufValue.String(request.Method.ToText())));
        entries.Add(new(MergePrefix + "models", GgufValue.ArrayOf(names!)));
        entries.Add(new(MergePrefix + "weights", GgufValue.ArrayOf(request.EffectiveWeights())));
        if (request.BaseModel is not null)
            entries.Add(new(MergePrefix + "base", GgufValue.String(Path.GetFileNameWithoutExtension(request.BaseModel))));
        if (request.Method.UsesDensity())
            entries.Add(new(MergePrefix + "density", GgufValue.Float64(request.EffectiveDensity)));
        if (request.Method.NeedsBase())
        {
            var options = request.TaskVectorOptions();
            entries.Add(new(MergePrefix + "normalize", GgufValue.Bool(options.Normalize)));
            entries.Add(new(MergePrefix + "lambda", GgufValue.Float64(options.Lambda)));
            if (request.Method.UsesDensity()) entries.Add(new(MergePrefix + "rescale", GgufValue.Bool(options.Rescale)));
        }
        if (request.Method is MergeMethod.Dare or MergeMethod.DareTies)
            entries.Add(new(MergePrefix + "seed", GgufValue.UInt64(request.Seed)));
        if (request.SlerpT is { } t)
            entries.Add(new(MergePrefix + "t", GgufValue.String(t.ToString())));
        return entries;
    }
}
