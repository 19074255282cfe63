using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Owns a <c>llama_context*</c> and holds a reference on its model so the model cannot be freed under it.</summary>
internal sealed class SafeLlamaContextHandle : SafeHandle
{
    private readonly SafeLlamaModelHandle? _model;

    public SafeLlamaContextHandle() : base(0, ownsHandle: true) { }

    internal SafeLlamaContextHandle(nint handle, SafeLlamaModelHandle model) : base(0, ownsHandle: true)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_free(handle);
        _model?.DangerousRelease();
        return true;
    }
}
