using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>ggml's CPU thread pool (created through the CPU backend's registry, which is loaded dynamically).</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial nint ggml_backend_dev_by_type(int type);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nint ggml_backend_dev_backend_reg(nint device);

    [LibraryImport(NativeLibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void* ggml_backend_reg_get_proc_address(nint registry, string name);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_threadpool_params_init(GgmlThreadpoolParams* parameters, int threads);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_attach_threadpool(SafeLlamaContextHandle context, nint threadpool, nint threadpoolBatch);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_detach_threadpool(SafeLlamaContextHandle context);
}

/// <summary><c>struct ggml_threadpool_params</c> (ggml.h): a CPU mask of <c>GGML_MAX_N_THREADS</c> bools, then the rest.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GgmlThreadpoolParams
{
    public fixed byte CpuMask[512];
    public int NThreads;
    public int Priority;
    public uint Poll;
    private byte _strictCpu;
    private byte _paused;

    public bool StrictCpu { readonly get => _strictCpu != 0; set => _strictCpu = (byte)(value ? 1 : 0); }
    public bool Paused { readonly get => _paused != 0; set => _paused = (byte)(value ? 1 : 0); }
}
