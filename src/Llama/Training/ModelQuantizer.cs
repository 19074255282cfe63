using Chorus.Llama.Native;

namespace Chorus.Llama.Training;

/// <summary>Re-encodes a GGUF model's weights with llama.cpp's quantizer (<c>llama_model_quantize</c>).</summary>
public static class ModelQuantizer
{
    /// <summary>Names the quantizer accepts here.</summary>
    public static IReadOnlyList<string> Types { get; } = ["q8_0", "f16", "q4_0"];

    /// <summary>Writes <paramref name="outputPath"/>: <paramref name="inputPath"/> quantized to <paramref name="type"/> (q8_0, f16, q4_0).</summary>
    public static void Quantize(string inputPath, string outputPath, string type, int threads = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var fileType = type.ToLowerInvariant() switch
        {
            "q8_0" => LlamaFileType.MostlyQ8_0,
            "f16" => LlamaFileType.MostlyF16,
            "q4_0" => LlamaFileType.MostlyQ4_0,
            _ => throw new ArgumentException($"unknown quantization type '{type}' (known: {string.Join(", ", Types)})", nameof(type)),
        };
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"model to quantize not found: '{inputPath}'", inputPath);
        LlamaBackend.Initialize();
        var p = LlamaNative.llama_model_quantize_default_params();
        p.FileType = fileType;
        p.NThread = threads > 0 ? threads : Environment.ProcessorCount;
        using var capture = LlamaLog.BeginCapture();
        var rc = LlamaNative.llama_model_quantize(inputPath, outputPath, p);
        if (rc != 0)
            throw new LlamaException($"quantizing '{inputPath}' to {type} failed (code {rc}): {capture.Reason("llama.cpp gave no reason")}");
    }
}
