using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>
/// Owns a <c>llama_context*</c> and holds a reference on its model (and on its CPU thread pool, when one is attached)
/// so neither can be freed under it.
/// </summary>
internal sealed class SafeLlamaContextHandle : SafeHandle
{
    private readonly SafeLlamaModelHandle? _model;
    private SafeGgmlThreadpoolHandle? _threadpool;

    public SafeLlamaContextHandle() : base(0, ownsHandle: true) { }

    internal SafeLlamaContextHandle(nint handle, SafeLlamaModelHandle model) : base(0, ownsHandle: true)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Makes the context compute on <paramref name="threadpool"/> (single tokens and batches) until it is freed.</summary>
    internal void Attach(SafeGgmlThreadpoolHandle threadpool)
    {
        var added = false;
        threadpool.DangerousAddRef(ref added);
        _threadpool = threadpool;
        LlamaNative.llama_attach_threadpool(this, threadpool.DangerousGetHandle(), threadpool.DangerousGetHandle());
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_free(handle);
        _threadpool?.DangerousRelease();
        _model?.DangerousRelease();
        return true;
    }
}
