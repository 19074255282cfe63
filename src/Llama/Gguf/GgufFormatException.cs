namespace Chorus.Llama.Gguf;

/// <summary>A file is not a GGUF file Chorus can read or write: names the file, the problem and, where known, the byte offset.</summary>
public sealed class GgufFormatException : LlamaException
{
    public GgufFormatException(string path, string problem, long? offset = null)
        : base($"invalid GGUF file '{path}': {problem}{(offset is { } o ? $" (at byte offset {o})" : "")}")
    {
        FilePath = path;
        Problem = problem;
        Offset = offset;
    }

    public string FilePath { get; }
    public string Problem { get; }

    /// <summary>Where in the file the problem was found, when it is about a place in the file.</summary>
    public long? Offset { get; }
}
