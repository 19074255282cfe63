namespace Chorus.Llama;

/// <summary>Checks a model path before llama.cpp sees it, so the common mistakes get a precise message.</summary>
internal static class ModelFileCheck
{
    private const uint GgufMagic = 0x46554747; // "GGUF" little-endian

    public static void ThrowIfUnusable(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ModelLoadException(path ?? "", "no path given");
        if (Directory.Exists(path))
            throw new ModelLoadException(path, "it is a directory; give the path of a .gguf file");
        if (!File.Exists(path))
            throw new ModelLoadException(path, "file not found; check the path (forge a test model with `chorus forge synthetic`)");
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read < 8)
            throw new ModelLoadException(path, $"file is {stream.Length} bytes, too short to be a GGUF model (truncated download or copy?)");
        var magic = BitConverter.ToUInt32(head[..4]);
        if (magic != GgufMagic)
            throw new ModelLoadException(path, $"not a GGUF file (first bytes 0x{magic:X8}, expected 'GGUF'); convert the model to GGUF first");
        var version = BitConverter.ToUInt32(head[4..8]);
        if (version is < 2 or > 3)
            throw new ModelLoadException(path, $"unsupported GGUF version {version} (llama.cpp v0.5.0 reads versions 2 and 3)");
    }
}
