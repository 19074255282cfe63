namespace Chorus.Llama.Gguf;

/// <summary>Constants of the GGUF container format (gguf.h).</summary>
public static class GgufLayout
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;
    public const uint CurrentVersion = 3;
    public const uint DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>ggml's GGML_MAX_NAME: a tensor name must be shorter (it is stored with a terminating zero).</summary>
    public const int MaxTensorNameBytes = 63;

    public static long Align(long offset, long alignment) => (offset + alignment - 1) / alignment * alignment;
}
