using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>
/// Owns a <c>ggml_threadpool*</c>. Without one attached, ggml's CPU backend (the prebuilt libraries are built without
/// OpenMP) creates and joins its worker threads at every graph computation, i.e. at every <c>llama_decode</c>.
/// </summary>
internal sealed unsafe class SafeGgmlThreadpoolHandle : SafeHandle
{
    private readonly delegate* unmanaged<nint, void> _free;

    private SafeGgmlThreadpoolHandle(nint handle, delegate* unmanaged<nint, void> free) : base(0, ownsHandle: true)
    {
        _free = free;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// A pool of <paramref name="threads"/> threads (the thread that calls decode is the first of them; the pool starts
    /// the others) at ggml's scheduling <paramref name="priority"/>, or null when no CPU backend offers one. ggml applies
    /// the priority to the calling thread too and leaves it there (<see cref="RealTimeScheduling"/>).
    /// </summary>
    public static SafeGgmlThreadpoolHandle? Create(int threads, uint poll, int priority = 0)
    {
        var cpu = LlamaNative.ggml_backend_dev_by_type(0); // GGML_BACKEND_DEVICE_TYPE_CPU
        if (cpu == 0) return null;
        var registry = LlamaNative.ggml_backend_dev_backend_reg(cpu);
        var create = (delegate* unmanaged<GgmlThreadpoolParams*, nint>)LlamaNative.ggml_backend_reg_get_proc_address(registry, "ggml_threadpool_new");
        var free = (delegate* unmanaged<nint, void>)LlamaNative.ggml_backend_reg_get_proc_address(registry, "ggml_threadpool_free");
        if (create == null || free == null) return null;
        GgmlThreadpoolParams p;
        LlamaNative.ggml_threadpool_params_init(&p, threads);
        p.Poll = poll;
        p.Priority = priority;
        var pool = create(&p);
        return pool == 0 ? null : new SafeGgmlThreadpoolHandle(pool, free);
    }

    protected override bool ReleaseHandle()
    {
        _free(handle);
        return true;
    }
}
