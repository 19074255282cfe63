using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Chorus.Llama.Native;

namespace Chorus.Llama;

/// <summary>
/// A llama.cpp context on one model: decodes batches, exposes the logits of any output row, and edits the
/// KV cache per sequence. Not thread-safe: one caller at a time (the model runner serialises).
/// </summary>
public sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly SafeGgmlThreadpoolHandle? _threadpool;
    private readonly GCHandle _self;
    private CancellationToken _abort;

    /// <summary>Name of a context's ggml worker threads (they take it from the thread that starts their pool).</summary>
    internal const string DecodeThreadName = "chorus-decode";

    /// <summary>How often llama.cpp polled for cancellation (process-wide; shows the abort hook is live).</summary>
    internal static long AbortChecks;

    internal LlamaContext(LlamaModel model, LlamaContextOptions options)
    {
        Model = model;
        var p = LlamaNative.llama_context_default_params();
        var seqs = Math.Max(1, options.MaxSequences);
        var perSeq = options.ContextSize > 0 ? options.ContextSize : model.TrainedContextLength;
        p.NCtx = (uint)(perSeq * seqs);
        p.NSeqMax = (uint)seqs;
        p.NBatch = (uint)options.BatchSize;
        p.NUbatch = (uint)Math.Min(options.BatchSize, 512);
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        p.NThreads = threads;
        p.NThreadsBatch = threads;
        p.FlashAttnType = (int)(options.FlashAttention switch { null => LlamaFlashAttnType.Auto, true => LlamaFlashAttnType.Enabled, false => LlamaFlashAttnType.Disabled });
        if (options.FullPrecisionCache) { p.TypeK = GgmlType.F32; p.TypeV = GgmlType.F32; }
        p.Embeddings = options.Embeddings;
        p.NoPerf = true;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        using var capture = LlamaLog.BeginCapture();
        var raw = LlamaNative.llama_init_from_model(model.Handle, p);
        if (raw == 0)
        {
            _self.Free();
            throw new LlamaException($"cannot create a context for '{Path.GetFileName(model.FilePath)}' (context {p.NCtx}, {seqs} sequences): " +
                capture.Reason("llama.cpp gave no reason; try a smaller context or fewer sequences"));
        }
        _handle = new SafeLlamaContextHandle(raw, model.Handle);
        // one pool for the context's life: without it the CPU backend starts and joins its threads at every decode
        Priority = RealTimeScheduling.IsPermitted(options.Priority) ? options.Priority : DecodePriority.Normal;
        // a real-time thread that spins while idle keeps every normal thread of the process off its core: no polling then
        var poll = Priority == DecodePriority.Normal ? (uint)Math.Clamp(options.ThreadPolling, 0, 100) : 0u;
        // ggml raises the thread that creates the pool and never lowers it, so never a caller's thread; the workers
        // take that thread's name, which shows them in `top -H`
        _threadpool = RealTimeScheduling.OnOwnThread(DecodeThreadName, () => SafeGgmlThreadpoolHandle.Create(threads, poll, (int)Priority));
        if (_threadpool is not null) _handle.Attach(_threadpool);
        LlamaNative.llama_set_abort_callback(_handle, &OnAbort, (void*)GCHandle.ToIntPtr(_self));
        Memory = LlamaNative.llama_get_memory(_handle);
    }

    public LlamaModel Model { get; }

    /// <summary>The decode threads' priority: the one asked for, or <see cref="DecodePriority.Normal"/> when the process may not raise it.</summary>
    public DecodePriority Priority { get; }

    private nint Memory { get; }

    /// <summary>Total KV-cache size in tokens (all sequences).</summary>
    public int ContextSize => (int)LlamaNative.llama_n_ctx(_handle);

    /// <summary>Tokens one sequence can hold.</summary>
    public int SequenceContextSize => (int)LlamaNative.llama_n_ctx_seq(_handle);
    public int BatchSize => (int)LlamaNative.llama_n_batch(_handle);
    public int MicroBatchSize => (int)LlamaNative.llama_n_ubatch(_handle);
    public int MaxSequences => (int)LlamaNative.llama_n_seq_max(_handle);
    public int Threads => LlamaNative.llama_n_threads(_handle);
    public int BatchThreads => LlamaNative.llama_n_threads_batch(_handle);
    public int VocabularySize => Model.Vocabulary.Count;

    /// <summary>Changes the thread counts; more than the context was created with are capped to its thread pool.</summary>
    public void SetThreads(int threads, int batchThreads) => LlamaNative.llama_set_n_threads(_handle, threads, batchThreads);

    /// <summary>Decodes a batch. Cancelling the token aborts the computation (CPU backends) and throws.</summary>
    public void Decode(LlamaBatch batch, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (batch.Count == 0) return;
        cancellationToken.ThrowIfCancellationRequested();
        _abort = cancellationToken;
        int rc;
        // an abort the caller asked for makes llama.cpp log errors: they are the cancellation's echo, not faults
        using (var capture = LlamaLog.BeginCapture(deferred: true))
        {
            // the calling thread is the pool's first thread: real-time with the others while it decodes, and only then
            using (RealTimeScheduling.Raise(Priority))
                rc = LlamaNative.llama_decode(_handle, batch.Native);
            _abort = default;
            if (rc == 2 && cancellationToken.IsCancellationRequested) capture.Expected();
            if (rc == 2) throw new OperationCanceledException("decode aborted", cancellationToken);
            if (rc < 0 && capture.Lines.Count > 0)
                throw new LlamaException($"llama_decode failed with code {rc}: {capture.Reason("")}");
        }
        if (rc != 0) throw new DecodeException(rc);
    }

    /// <summary>Logits of output row <paramref name="batchRow"/> of the last decode (valid until the next decode).</summary>
    public ReadOnlySpan<float> GetLogits(int batchRow)
    {
        var p = LlamaNative.llama_get_logits_ith(_handle, batchRow);
        if (p == null) throw new ArgumentOutOfRangeException(nameof(batchRow), batchRow, "that batch row produced no logits (was its logits flag set?)");
        return new ReadOnlySpan<float>(p, VocabularySize);
    }

    /// <summary>Hidden state of an output row (context created with <see cref="LlamaContextOptions.Embeddings"/>).</summary>
    public ReadOnlySpan<float> GetEmbeddings(int batchRow)
    {
        var p = LlamaNative.llama_get_embeddings_ith(_handle, batchRow);
        if (p == null) throw new InvalidOperationException("no embeddings for that row; create the context with Embeddings = true");
        return new ReadOnlySpan<float>(p, Model.EmbeddingLength);
    }

    /// <summary>Removes positions [from, to) of a sequence from the KV cache (to &lt; 0: to the end).</summary>
    public bool RemoveTokens(int sequence, int from, int to = -1) => LlamaNative.llama_memory_seq_rm(Memory, sequence, from, to);

    /// <summary>Makes <paramref name="destination"/> share the cached positions [from, to) of <paramref name="source"/>.</summary>
    public void CopySequence(int source, int destination, int from = -1, int to = -1) => LlamaNative.llama_memory_seq_cp(Memory, source, destination, from, to);

    /// <summary>Drops every sequence but one.</summary>
    public void KeepSequence(int sequence) => LlamaNative.llama_memory_seq_keep(Memory, sequence);

    /// <summary>Empties the whole KV cache.</summary>
    public void ClearMemory() => LlamaNative.llama_memory_clear(Memory, true);

    /// <summary>Largest cached position of a sequence, -1 when empty.</summary>
    public int MaxPosition(int sequence) => LlamaNative.llama_memory_seq_pos_max(Memory, sequence);

    /// <summary>Smallest cached position of a sequence, -1 when empty.</summary>
    public int MinPosition(int sequence) => LlamaNative.llama_memory_seq_pos_min(Memory, sequence);

    [UnmanagedCallersOnly]
    private static byte OnAbort(void* data)
    {
        Interlocked.Increment(ref AbortChecks);
        var target = GCHandle.FromIntPtr((nint)data).Target as LlamaContext;
        return (byte)(target is not null && target._abort.IsCancellationRequested ? 1 : 0);
    }

    public void Dispose()
    {
        if (_handle.IsClosed) return;
        _handle.Dispose();
        _threadpool?.Dispose(); // freed once the context (which holds a reference) is gone
        if (_self.IsAllocated) _self.Free();
    }
}
