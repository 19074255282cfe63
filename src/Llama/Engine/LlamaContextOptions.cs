namespace Chorus.Llama;

/// <summary>How an inference context is created.</summary>
public sealed record LlamaContextOptions
{
    /// <summary>Context window per sequence, in tokens (llama.cpp rounds up to a multiple of 256); 0 = the model's trained context.</summary>
    public int ContextSize { get; init; } = 512;

    /// <summary>Sequences (KV slots) the context serves at once.</summary>
    public int MaxSequences { get; init; } = 1;

    /// <summary>Most tokens one <c>llama_decode</c> accepts.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Threads for single-token decoding and for batches; 0 = the number of cores.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// How long the CPU threads spin for the next decode before they sleep, 0–100 (ggml's <c>poll</c>; llama-bench and
    /// llama-server use 50). 0 (the default) lets them sleep at once: several models share a silo's cores, and a
    /// spinning idle pool takes cycles from the others.
    /// </summary>
    public int ThreadPolling { get; init; }

    /// <summary>
    /// Scheduling priority of the decode threads (see <see cref="DecodePriority"/>; the thread that calls decode is one of
    /// them and keeps the priority afterwards, so decode on a thread of your own). Default <see cref="DecodePriority.Normal"/>.
    /// Above normal, <see cref="ThreadPolling"/> is ignored: a real-time thread spinning while idle would keep the
    /// process's other threads off its core. Leave the process a core of its own too (Threads below the core count):
    /// real-time decode threads on every core stall everything else for as long as a long prefill takes.
    /// </summary>
    public DecodePriority Priority { get; init; }

    /// <summary>Flash attention: null = llama.cpp decides.</summary>
    public bool? FlashAttention { get; init; }

    /// <summary>Keep the KV cache in F32 (exact rollback comparisons, training) instead of F16.</summary>
    public bool FullPrecisionCache { get; init; }

    /// <summary>Also compute the hidden states (embeddings) of output rows.</summary>
    public bool Embeddings { get; init; }
}
