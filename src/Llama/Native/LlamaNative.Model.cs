using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Model loading, facts and metadata.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(NativeLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint llama_model_load_from_file(string pathModel, LlamaModelParams parameters);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_model_free(nint model);

    [LibraryImport(NativeLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void llama_model_save_to_file(SafeLlamaModelHandle model, string pathModel);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial nint llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_n_head(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_n_head_kv(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buf, nuint bufSize);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_meta_count(SafeLlamaModelHandle model);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_meta_key_by_index(SafeLlamaModelHandle model, int i, byte* buf, nuint bufSize);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_model_meta_val_str_by_index(SafeLlamaModelHandle model, int i, byte* buf, nuint bufSize);

    [LibraryImport(NativeLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buf, nuint bufSize);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial LlamaModelQuantizeParams llama_model_quantize_default_params();

    [LibraryImport(NativeLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint llama_model_quantize(string fnameInp, string fnameOut, in LlamaModelQuantizeParams parameters);
}
