namespace Chorus.Llama;

/// <summary>
/// Scheduling priority of a context's decode threads (ggml's <c>ggml_sched_priority</c>; llama.cpp's <c>--prio</c>).
/// ggml's threads meet at a spinning barrier after every operation of the graph, so when another thread of the process
/// (a silo's gRPC and Orleans work, streaming the last token) takes one of their cores, the others spin until it is
/// back: on a machine with no spare core a decode then takes 2–3× as long (bench/README.md, "Parity with llama.cpp").
/// Above <see cref="Normal"/> the decode threads run under the real-time FIFO policy on Linux (40 / 80 / 90), so
/// nothing of normal priority interrupts a decode, and they sleep between decodes (with no thread polling) so the
/// rest of the process runs then. That needs CAP_SYS_NICE or an RLIMIT_RTPRIO allowance: without it the context
/// falls back to <see cref="Normal"/> (see <see cref="LlamaContext.Priority"/>). Measured on 2 cores, one model served
/// with 2 decode threads: llama_decode 3.4–5.7 ms per token at normal priority, 1.6–2.1 ms at medium.
/// </summary>
public enum DecodePriority
{
    /// <summary>The threads keep the policy and priority they inherit.</summary>
    Normal = 0,

    /// <summary>Real-time FIFO priority 40.</summary>
    Medium = 1,

    /// <summary>Real-time FIFO priority 80.</summary>
    High = 2,

    /// <summary>Real-time FIFO priority 90.</summary>
    Realtime = 3,
}
