using Chorus.Llama.Native;

namespace Chorus.Llama.Forge;

/// <summary>How a synthetic model stores its matrices (norm vectors always stay F32, as llama.cpp's quantiser keeps them).</summary>
public enum SyntheticWeightType
{
    F32,
    F16,
    Q8_0,
}

public static class SyntheticWeightTypes
{
    /// <summary>Parses "f32", "f16" or "q8_0" (any case; "q8" also accepted).</summary>
    public static SyntheticWeightType Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "f32" => SyntheticWeightType.F32,
        "f16" => SyntheticWeightType.F16,
        "q8_0" or "q8" => SyntheticWeightType.Q8_0,
        _ => throw new ArgumentException($"unknown weight type '{text}'; use f32, f16 or q8_0", nameof(text)),
    };

    public static GgmlType ToGgmlType(this SyntheticWeightType type) => type switch
    {
        SyntheticWeightType.F16 => GgmlType.F16,
        SyntheticWeightType.Q8_0 => GgmlType.Q8_0,
        _ => GgmlType.F32,
    };

    /// <summary>The <c>general.file_type</c> (llama_ftype) llama.cpp reports for a model stored this way.</summary>
    public static LlamaFileType ToFileType(this SyntheticWeightType type) => type switch
    {
        SyntheticWeightType.F16 => LlamaFileType.MostlyF16,
        SyntheticWeightType.Q8_0 => LlamaFileType.MostlyQ8_0,
        _ => LlamaFileType.AllF32,
    };

    public static string ToText(this SyntheticWeightType type) => type switch
    {
        SyntheticWeightType.F16 => "f16",
        SyntheticWeightType.Q8_0 => "q8_0",
        _ => "f32",
    };
}
