using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Owns a <c>llama_model*</c>; freed once, after every context that references it.</summary>
internal sealed class SafeLlamaModelHandle : SafeHandle
{
    public SafeLlamaModelHandle() : base(0, ownsHandle: true) { }

    internal SafeLlamaModelHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_model_free(handle);
        return true;
    }
}
