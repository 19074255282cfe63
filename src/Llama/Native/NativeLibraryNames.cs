namespace Chorus.Llama.Native;

/// <summary>Logical names of the llama.cpp libraries; <see cref="LlamaLibraryResolver"/> maps them to files.</summary>
internal static class NativeLibraryNames
{
    public const string Llama = "llama";
    public const string Ggml = "ggml";
    public const string GgmlBase = "ggml-base";
}
