using System.Runtime.InteropServices;
using Chorus.Llama.Native;
using Microsoft.Extensions.Logging;

namespace Chorus.Llama;

/// <summary>A compute device ggml found (CPU, GPU, accelerator).</summary>
public sealed record BackendDevice(string Name, string Description, string Kind, ulong FreeBytes, ulong TotalBytes);

/// <summary>
/// Process-wide llama.cpp start-up: resolves the native libraries, loads ggml's backends
/// (<c>ggml_backend_load_all_from_path</c>) before <c>llama_backend_init</c>, and routes the native log.
/// </summary>
public static unsafe class LlamaBackend
{
    private static readonly Lock Gate = new();
    private static bool _initialized;

    static LlamaBackend() => LlamaLibraryResolver.Register();

    /// <summary>Initialises llama.cpp once per process; later calls only replace the logger when one is given.</summary>
    public static void Initialize(ILoggerFactory? loggerFactory = null)
    {
        lock (Gate)
        {
            if (_initialized)
            {
                if (loggerFactory is not null) LlamaLog.Install(loggerFactory);
                return;
            }
            LlamaLog.Install(loggerFactory);
            LlamaNative.ggml_backend_load_all_from_path(LlamaLibraryResolver.Directory);
            LlamaNative.llama_backend_init();
            _initialized = true;
        }
    }

    /// <summary>Directory the llama.cpp libraries were loaded from.</summary>
    public static string LibraryDirectory => LlamaLibraryResolver.Directory;

    /// <summary>llama.cpp's own description of the CPU features and backends in use.</summary>
    public static string SystemInfo
    {
        get { Initialize(); return Marshal.PtrToStringUTF8((nint)LlamaNative.llama_print_system_info()) ?? ""; }
    }

    /// <summary>True when a GPU backend is loaded (layers can be offloaded).</summary>
    public static bool SupportsGpuOffload
    {
        get { Initialize(); return LlamaNative.llama_supports_gpu_offload(); }
    }

    /// <summary>Most sequences one context can hold.</summary>
    public static int MaxParallelSequences
    {
        get { Initialize(); return (int)LlamaNative.llama_max_parallel_sequences(); }
    }

    /// <summary>Devices ggml can compute on.</summary>
    public static IReadOnlyList<BackendDevice> Devices
    {
        get
        {
            Initialize();
            var list = new List<BackendDevice>();
            var count = (int)LlamaNative.ggml_backend_dev_count();
            for (var i = 0; i < count; i++)
            {
                var dev = LlamaNative.ggml_backend_dev_get((nuint)i);
                LlamaNative.ggml_backend_dev_memory(dev, out var free, out var total);
                var kind = LlamaNative.ggml_backend_dev_type(dev) switch { 0 => "cpu", 1 => "gpu", 2 => "igpu", 3 => "accel", _ => "other" };
                list.Add(new BackendDevice(
                    Marshal.PtrToStringUTF8((nint)LlamaNative.ggml_backend_dev_name(dev)) ?? "?",
                    Marshal.PtrToStringUTF8((nint)LlamaNative.ggml_backend_dev_description(dev)) ?? "",
                    kind, free, total));
            }
            return list;
        }
    }
}
