using System.Reflection;

namespace Chorus.Llama;

/// <summary>
/// Finds llama.cpp's vocabulary-only GGUF files (<c>ggml-vocab-NAME.gguf</c>) and their tokenizer test vectors:
/// <c>CHORUS_VOCAB_DIR</c>, else the cache the build fetched them into.
/// </summary>
public static class VocabularyFiles
{
    public const string DirectoryVariable = "CHORUS_VOCAB_DIR";

    /// <summary>Names every Chorus build is expected to carry.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["llama-spm", "llama-bpe", "gpt-2", "qwen2", "phi-3"];

    /// <summary>The directory holding <c>ggml-vocab-*.gguf</c>.</summary>
    public static string Directory
    {
        get
        {
            var custom = Environment.GetEnvironmentVariable(DirectoryVariable);
            if (!string.IsNullOrWhiteSpace(custom)) return custom;
            var source = typeof(VocabularyFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ChorusLlamaSourceDir")?.Value;
            if (source is null)
                throw new InvalidOperationException($"vocabulary directory unknown: set {DirectoryVariable} to a folder with ggml-vocab-*.gguf");
            return Path.Combine(source, "models");
        }
    }

    /// <summary>Every vocabulary name available (e.g. "llama-spm", "gpt-2").</summary>
    public static IReadOnlyList<string> Available() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "ggml-vocab-*.gguf").Select(f => Path.GetFileNameWithoutExtension(f)["ggml-vocab-".Length..]).Order().ToList()
            : [];

    /// <summary>A vocabulary name or a path to a GGUF file → the file's path; unknown names list what exists.</summary>
    public static string Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (File.Exists(nameOrPath)) return Path.GetFullPath(nameOrPath);
        var path = Path.Combine(Directory, $"ggml-vocab-{nameOrPath}.gguf");
        if (File.Exists(path)) return path;
        throw new FileNotFoundException(
            $"unknown vocabulary '{nameOrPath}': not a file, and no ggml-vocab-{nameOrPath}.gguf in '{Directory}' (available: {string.Join(", ", Available())})");
    }
}
