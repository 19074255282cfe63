using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Contexts, batches, decoding, logits and the KV-cache memory.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial nint llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_free(nint context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial uint llama_n_ctx_seq(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial uint llama_n_ubatch(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial uint llama_n_seq_max(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_set_n_threads(SafeLlamaContextHandle context, int nThreads, int nThreadsBatch);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_n_threads(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_n_threads_batch(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_set_abort_callback(SafeLlamaContextHandle context, delegate* unmanaged<void*, byte> callback, void* data);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial LlamaBatchNative llama_batch_init(int nTokens, int embd, int nSeqMax);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_batch_free(LlamaBatchNative batch);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatchNative batch);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int i);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial float* llama_get_embeddings_ith(SafeLlamaContextHandle context, int i);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_synchronize(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial nint llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_memory_clear(nint memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(nint memory, int seqId, int p0, int p1);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_memory_seq_cp(nint memory, int seqIdSrc, int seqIdDst, int p0, int p1);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_memory_seq_keep(nint memory, int seqId);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_memory_seq_pos_min(nint memory, int seqId);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_memory_seq_pos_max(nint memory, int seqId);
}
