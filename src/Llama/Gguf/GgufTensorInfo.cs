using Chorus.Llama.Native;

namespace Chorus.Llama.Gguf;

/// <summary>
/// One entry of a GGUF tensor table. <see cref="Dimensions"/> is in ggml order (<c>ne0</c> first: the row length);
/// <see cref="Offset"/> is relative to the start of the data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, GgmlType Type, ulong Offset, long ByteSize)
{
    public long ElementCount
    {
        get
        {
            var n = 1L;
            foreach (var d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Elements in one row (<c>ne0</c>).</summary>
    public long RowLength => Dimensions.Count > 0 ? Dimensions[0] : 1;

    public override string ToString() => $"{Name} [{string.Join(", ", Dimensions)}] {Type}";
}
