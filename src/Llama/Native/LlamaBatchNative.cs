using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>llama.h <c>struct llama_batch</c>: arrays owned by llama.cpp (<c>llama_batch_init</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaBatchNative
{
    public int NTokens;
    public int* Token;
    public float* Embd;
    public int* Pos;
    public int* NSeqId;
    public int** SeqId;
    public sbyte* Logits;
}
