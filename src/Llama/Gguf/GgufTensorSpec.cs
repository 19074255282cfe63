using Chorus.Llama.Native;

namespace Chorus.Llama.Gguf;

/// <summary>A tensor to be written: name, ggml-order dimensions (<c>ne0</c> first) and storage type.</summary>
public sealed record GgufTensorSpec(string Name, IReadOnlyList<long> Dimensions, GgmlType Type)
{
    public long ElementCount
    {
        get
        {
            var n = 1L;
            foreach (var d in Dimensions) n = checked(n * d);
            return n;
        }
    }
}
