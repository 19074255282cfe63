using System.Runtime.InteropServices;

namespace Chorus.Contracts;

/// <summary>
/// Arrays of numbers as raw little-endian bytes, for the wire forms of large payloads: Orleans serialises a <c>byte[]</c>
/// as one block but every other array element by element (see <see cref="DistributionDataSurrogate"/>).
/// </summary>
internal static class RawArrays
{
    public static byte[]? Bytes<T>(T[]? values) where T : struct =>
        values is null ? null : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static T[]? Values<T>(byte[]? bytes) where T : struct =>
        bytes is null ? null : MemoryMarshal.Cast<byte, T>(bytes).ToArray();
}
