using System.Reflection;
using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>
/// The one place that decides which llama.cpp build loads: <c>CHORUS_LLAMA_LIB_DIR</c> (a user's own build of
/// llama.cpp v0.5.0), else the build copied next to the binaries (<c>llama/cuda</c> when present and wanted,
/// then <c>llama/cpu</c>).
/// </summary>
internal static class LlamaLibraryResolver
{
    public const string LibDirVariable = "CHORUS_LLAMA_LIB_DIR";
    public const string VariantVariable = "CHORUS_LLAMA_VARIANT";

    private static readonly Lock Gate = new();
    private static string? _directory;
    private static readonly Dictionary<string, nint> Loaded = new();

    /// <summary>The directory the libraries load from (resolved on first use).</summary>
    public static string Directory
    {
        get
        {
            lock (Gate) return _directory ??= FindDirectory();
        }
    }

    public static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(LlamaLibraryResolver).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var file = name switch
        {
            NativeLibraryNames.Llama => FirstExisting("libllama.v0.5.0.so", "libllama.cuda.v0.5.0.so", "libllama.so"),
            NativeLibraryNames.Ggml => FirstExisting("libggml.v0.5.0.so", "libggml.cuda.v0.5.0.so", "libggml.so"),
            NativeLibraryNames.GgmlBase => FirstExisting("libggml-base.so"),
            _ => null,
        };
        if (file is null) return 0;
        lock (Gate)
        {
            if (Loaded.TryGetValue(file, out var handle)) return handle;
            handle = NativeLibrary.Load(file);
            Loaded[file] = handle;
            return handle;
        }
    }

    private static string? FirstExisting(params string[] names)
    {
        var dir = Directory;
        foreach (var n in names)
        {
            var path = Path.Combine(dir, n);
            if (File.Exists(path)) return path;
        }
        throw new DllNotFoundException(
            $"llama.cpp library {string.Join(" or ", names)} not found in '{dir}'. Build the solution once (it fetches the pinned " +
            $"libraries with npm), or set {LibDirVariable} to a directory holding a llama.cpp v0.5.0 build.");
    }

    private static string FindDirectory()
    {
        var custom = Environment.GetEnvironmentVariable(LibDirVariable);
        if (!string.IsNullOrWhiteSpace(custom))
        {
            if (!System.IO.Directory.Exists(custom))
                throw new DllNotFoundException($"{LibDirVariable}='{custom}' does not exist; point it at a directory with libllama and libggml of llama.cpp v0.5.0.");
            return Path.GetFullPath(custom);
        }
        var baseDir = AppContext.BaseDirectory;
        var wanted = Environment.GetEnvironmentVariable(VariantVariable);
        if (string.IsNullOrWhiteSpace(wanted))
            wanted = typeof(LlamaLibraryResolver).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ChorusLlamaVariant")?.Value ?? "cpu";
        foreach (var variant in new[] { wanted, "cpu" })
        {
            var dir = Path.Combine(baseDir, "llama", variant);
            if (System.IO.Directory.Exists(dir)) return dir;
        }
        throw new DllNotFoundException(
            $"no llama.cpp libraries next to the binaries ('{Path.Combine(baseDir, "llama")}'). Build the solution (it fetches them with npm), " +
            $"or set {LibDirVariable} to a directory holding a llama.cpp v0.5.0 build.");
    }
}
