using Chorus.Llama.Native;

namespace Chorus.Llama;

/// <summary>A reusable <c>llama_batch</c> (native arrays allocated once by <c>llama_batch_init</c>).</summary>
public sealed unsafe class LlamaBatch : IDisposable
{
    private LlamaBatchNative _native;
    private bool _disposed;

    public LlamaBatch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        LlamaBackend.Initialize();
        Capacity = capacity;
        _native = LlamaNative.llama_batch_init(capacity, 0, 1);
    }

    public int Capacity { get; }
    public int Count => _native.NTokens;
    internal LlamaBatchNative Native => _native;

    public void Clear() => _native.NTokens = 0;

    /// <summary>Adds one token of one sequence; returns its row (the index for <see cref="LlamaContext.GetLogits"/>).</summary>
    public int Add(int token, int position, int sequence, bool wantLogits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var i = _native.NTokens;
        if (i >= Capacity) throw new InvalidOperationException($"batch is full ({Capacity} tokens)");
        _native.Token[i] = token;
        _native.Pos[i] = position;
        _native.NSeqId[i] = 1;
        _native.SeqId[i][0] = sequence;
        _native.Logits[i] = (sbyte)(wantLogits ? 1 : 0);
        _native.NTokens = i + 1;
        return i;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        LlamaNative.llama_batch_free(_native);
        _native = default;
    }
}
