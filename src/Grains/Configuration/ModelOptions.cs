using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>One model a silo serves.</summary>
public sealed class ModelOptions
{
    /// <summary>The id clients use ("wiki-expert"); a replica's grain key is "id/N".</summary>
    public string Id { get; set; } = "";

    /// <summary>The GGUF file.</summary>
    public string Path { get; set; } = "";

    /// <summary>GPU device index, or null for CPU only.</summary>
    public int? Gpu { get; set; }

    /// <summary>Layers offloaded to the GPU (-1 = all) when <see cref="Gpu"/> is set.</summary>
    public int GpuLayers { get; set; } = -1;

    /// <summary>Context window per sequence, in tokens; 0 = the model's trained context (<c>n_ctx_train</c>). A larger value starts with a warning.</summary>
    public int ContextSize { get; set; }

    /// <summary>Sequences (KV slots) served at once by one replica.</summary>
    public int MaxSequences { get; set; } = 8;

    /// <summary>Replicas of this model on this silo (each its own context).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>CPU threads for decoding (0 = the cores shared evenly among this silo's model replicas; one core is left to the silo at a raised <see cref="ThreadPriority"/>).</summary>
    public int Threads { get; set; }

    /// <summary>How long idle decode threads spin for the next step before sleeping, 0–100 (ggml's poll; 0 = sleep at once).</summary>
    public int ThreadPolling { get; set; }

    /// <summary>
    /// Scheduling priority of the decode threads: normal (default), medium, high or realtime (ggml's levels; above normal
    /// they run real-time FIFO on Linux, which needs CAP_SYS_NICE, else the model stays at normal with a warning).
    /// </summary>
    public DecodePriority ThreadPriority { get; set; }

    /// <summary>
    /// Flash attention (llama-server's <c>-fa</c>): unset lets llama.cpp decide (on where the backend supports it, as
    /// llama-server's default <c>auto</c>), true or false forces it. On a CPU, ggml's flash-attention kernel attends one
    /// query row at a time, so many-row decodes of small models (speculative verification) can run faster with it off.
    /// </summary>
    public bool? FlashAttention { get; set; }

    /// <summary>Most tokens in one decode batch.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>
    /// Chunked prefill: while other sequences decode, a step that carries prefill may take this many times a decode-only
    /// step, and a long prompt is split across steps to fit (0: no chunking, a prefill takes whole batches and stalls
    /// decodes meanwhile). Default 2: decoding sessions see at most about twice their usual token gap while a prompt goes in.
    /// A chunk is never smaller than one attention tile (65 rows) and never leaves a tail smaller than one for later
    /// (docs/engine.md), so where a tile costs more than the stretch allows (long positions on a CPU) a step takes longer.
    /// </summary>
    public double PrefillStretch { get; set; } = 2.0;

    /// <summary>
    /// Batches that fill: a decode step waits up to this many steps' time for the sequences the last step served to come
    /// back with their next edit (0: decode whatever is ready at once, which on a busy CPU makes many one-row decodes).
    /// </summary>
    public double GatherSteps { get; set; } = 1.0;

    /// <summary>
    /// Keep the KV of ended sequences (in their free slots, least recently used out) so that a new sequence starting with
    /// the same tokens — the next turn of a chat, a shared system prompt — decodes only the rest. On by default.
    /// </summary>
    public bool PrefixCache { get; set; } = true;

    /// <summary>Fewest common tokens worth copying from another slot's cached prefix (default 16; taking over the slot's own needs one).</summary>
    public int PrefixCacheMinimumTokens { get; set; } = new PrefixCacheOptions().MinimumTokens;

    /// <summary>What the model is good at, for the mixture router's similarity mode.</summary>
    public List<string> Descriptions { get; set; } = [];
}
