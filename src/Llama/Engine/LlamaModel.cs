using System.Text;
using Chorus.Llama.Native;

namespace Chorus.Llama;

/// <summary>A loaded llama.cpp model: facts, metadata, vocabulary; creates contexts.</summary>
public sealed unsafe class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;
    private IReadOnlyDictionary<string, string>? _metadata;

    private LlamaModel(string path, SafeLlamaModelHandle handle, LlamaModelOptions options)
    {
        FilePath = path;
        _handle = handle;
        Options = options;
        IsVocabularyOnly = options.VocabularyOnly;
        Vocabulary = new LlamaVocabulary(this, LlamaNative.llama_model_get_vocab(handle));
    }

    internal SafeLlamaModelHandle Handle => _handle;

    public string FilePath { get; }
    public bool IsVocabularyOnly { get; }

    /// <summary>How it was loaded.</summary>
    public LlamaModelOptions Options { get; }
    public LlamaVocabulary Vocabulary { get; }
    public int EmbeddingLength => LlamaNative.llama_model_n_embd(_handle);
    public int LayerCount => LlamaNative.llama_model_n_layer(_handle);
    public int HeadCount => LlamaNative.llama_model_n_head(_handle);
    public int HeadCountKv => LlamaNative.llama_model_n_head_kv(_handle);
    public int TrainedContextLength => LlamaNative.llama_model_n_ctx_train(_handle);
    public ulong ParameterCount => LlamaNative.llama_model_n_params(_handle);
    public ulong SizeBytes => LlamaNative.llama_model_size(_handle);

    /// <summary>llama.cpp's one-line description, e.g. "llama 7B Q8_0".</summary>
    public string Description
    {
        get
        {
            var buf = stackalloc byte[256];
            var n = LlamaNative.llama_model_desc(_handle, buf, 256);
            return n > 0 ? Encoding.UTF8.GetString(buf, Math.Min(n, 255)) : "";
        }
    }

    /// <summary>The model's chat template (<c>tokenizer.chat_template</c>), or null when it has none.</summary>
    public string? ChatTemplate
    {
        get
        {
            var t = LlamaNative.llama_model_chat_template(_handle, null);
            return t == null ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)t);
        }
    }

    /// <summary>GGUF metadata as llama.cpp reports it (arrays abbreviated by llama.cpp).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata ??= ReadMetadata();

    /// <summary>Loads a GGUF model; a missing, malformed or unsupported file gives a <see cref="ModelLoadException"/> with the reason.</summary>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null)
    {
        options ??= new LlamaModelOptions();
        ModelFileCheck.ThrowIfUnusable(path);
        LlamaBackend.Initialize();
        var p = LlamaNative.llama_model_default_params();
        p.NGpuLayers = options.GpuLayers;
        p.MainGpu = options.MainGpu;
        p.LoadMode = (int)(options.UseMemoryMap ? LlamaLoadMode.Mmap : LlamaLoadMode.None);
        p.CheckTensors = options.CheckTensors;
        p.VocabOnly = options.VocabularyOnly;
        p.UseExtraBufts = options.RepackWeights;
        if (options.GpuLayers == 0) p.SplitMode = 0;
        using var capture = LlamaLog.BeginCapture();
        var raw = LlamaNative.llama_model_load_from_file(path, p);
        if (raw == 0)
            throw new ModelLoadException(path, capture.Reason("llama.cpp could not load it (no reason logged)"));
        return new LlamaModel(path, new SafeLlamaModelHandle(raw), options);
    }

    /// <summary>Loads only the vocabulary of a GGUF file (fast; no weights).</summary>
    public static LlamaModel LoadVocabularyOnly(string path) => Load(path, new LlamaModelOptions { VocabularyOnly = true });

    /// <summary>Creates an inference context on this model.</summary>
    public LlamaContext CreateContext(LlamaContextOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (IsVocabularyOnly) throw new InvalidOperationException($"model '{FilePath}' was loaded vocabulary-only; load it with weights to run it");
        return new LlamaContext(this, options ?? new LlamaContextOptions());
    }

    /// <summary>
    /// Writes the model (with its current weights, e.g. after training) to a GGUF file. The model must have been loaded
    /// with <see cref="LlamaModelOptions.RepackWeights"/> = false: llama.cpp reads every tensor back to write it, and
    /// weights repacked into the CPU backend's extra buffers cannot be read back (on an AMX CPU the save crashes).
    /// </summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (Options.RepackWeights && !IsVocabularyOnly)
            throw new InvalidOperationException(
                $"model '{FilePath}' was loaded with RepackWeights = true, and weights repacked for the CPU's kernels cannot be read back to save them; load it with RepackWeights = false to save it");
        LlamaNative.llama_model_save_to_file(_handle, path);
    }

    /// <summary>One metadata value by key, or null.</summary>
    public string? GetMetadata(string key)
    {
        var size = LlamaNative.llama_model_meta_val_str(_handle, key, null, 0);
        if (size < 0) return null;
        var buf = new byte[size + 1];
        fixed (byte* b = buf) LlamaNative.llama_model_meta_val_str(_handle, key, b, (nuint)buf.Length);
        return Encoding.UTF8.GetString(buf, 0, size);
    }

    private Dictionary<string, string> ReadMetadata()
    {
        var count = LlamaNative.llama_model_meta_count(_handle);
        var result = new Dictionary<string, string>(count);
        var buf = new byte[4096];
        for (var i = 0; i < count; i++)
        {
            fixed (byte* b = buf)
            {
                var kn = LlamaNative.llama_model_meta_key_by_index(_handle, i, b, (nuint)buf.Length);
                var key = Encoding.UTF8.GetString(b, Math.Clamp(kn, 0, buf.Length - 1));
                var vn = LlamaNative.llama_model_meta_val_str_by_index(_handle, i, b, (nuint)buf.Length);
                result[key] = Encoding.UTF8.GetString(b, Math.Clamp(vn, 0, buf.Length - 1));
            }
        }
        return result;
    }

    public void Dispose() => _handle.Dispose();
}
