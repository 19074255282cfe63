using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Backend, device and logging entry points of llama.cpp / ggml.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_backend_init();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial byte* llama_print_system_info();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial byte* llama_version();

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_supports_gpu_offload();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial nuint llama_max_devices();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial nuint llama_max_parallel_sequences();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_log_set(delegate* unmanaged<int, byte*, void*, void> callback, void* userData);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial long llama_time_us();

    [LibraryImport(NativeLibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string dirPath);

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial nint ggml_backend_dev_get(nuint index);

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial byte* ggml_backend_dev_name(nint device);

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial byte* ggml_backend_dev_description(nint device);

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial int ggml_backend_dev_type(nint device);

    [LibraryImport(NativeLibraryNames.Ggml)]
    public static partial void ggml_backend_dev_memory(nint device, out nuint free, out nuint total);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial GgmlTypeTraits* ggml_get_type_traits(GgmlType type);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_log_set(delegate* unmanaged<int, byte*, void*, void> callback, void* userData);
}
