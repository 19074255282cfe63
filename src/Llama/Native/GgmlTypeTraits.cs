using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>ggml.h <c>struct ggml_type_traits</c>: block layout and the to-float converter of a tensor type.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GgmlTypeTraits
{
    public byte* TypeName;
    public long BlockSize;
    public long BlockSizeInterleave;
    public nuint TypeSize;
    private readonly byte _isQuantized;
    public delegate* unmanaged<void*, float*, long, void> ToFloat;
    public delegate* unmanaged<float*, void*, long, void> FromFloatRef;

    public readonly bool IsQuantized => _isQuantized != 0;
}
