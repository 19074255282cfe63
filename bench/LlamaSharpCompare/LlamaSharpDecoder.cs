using System.Diagnostics;
using System.Numerics.Tensors;
using System.Reflection;
using LLama;
using LLama.Common;
using LLama.Native;

namespace LlamaSharpCompare;

/// <summary>
/// LLamaSharp 0.30.0's side, through its low-level API: <see cref="LLamaWeights"/>, a <see cref="LLamaContext"/>, an
/// <see cref="LLamaBatch"/> and <see cref="SafeLLamaContextHandle.Decode(LLamaBatch)"/>, logits by
/// <see cref="SafeLLamaContextHandle.GetLogitsIth"/>.
/// With <c>bypassLock</c> (the control) each step calls the same native <c>llama_decode</c> binding that
/// <c>Decode</c> calls, through reflection, without the static <c>GlobalInferenceLock</c> that <c>Decode</c> takes.
/// </summary>
public sealed class LlamaSharpDecoder : ITokenDecoder
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private static readonly MethodInfo ToNativeBatch = typeof(LLamaBatch).GetMethod("ToNativeBatch", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingMethodException("LLamaBatch.ToNativeBatch");
    private static readonly MethodInfo NativeDecode = typeof(SafeLLamaContextHandle).GetMethod("llama_decode", BindingFlags.Static | BindingFlags.NonPublic)
        ?? throw new MissingMethodException("SafeLLamaContextHandle.llama_decode");
    private readonly bool _bypassLock;
    private int _position;
    private long _decodeTicks;

    static LlamaSharpDecoder() =>
        // llama.cpp's log to stderr, errors only (before the native library loads)
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error) Console.Error.Write(message);
        });

    public LlamaSharpDecoder(string path, BenchSettings settings, bool bypassLock = false)
    {
        _bypassLock = bypassLock;
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)settings.ContextSize,
            BatchSize = (uint)settings.ContextSize,
            UBatchSize = (uint)settings.ContextSize,
            Threads = settings.Threads,
            BatchThreads = settings.Threads,
            GpuLayerCount = 0,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    public int VocabularySize => _weights.Vocab.Count;

    public TimeSpan InDecode => Stopwatch.GetElapsedTime(0, _decodeTicks);

    public int Prefill(IReadOnlyList<int> prompt)
    {
        _context.NativeHandle.MemoryClear(true);
        _batch.Clear();
        var last = 0;
        for (var i = 0; i < prompt.Count; i++) last = _batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        _position = prompt.Count;
        var next = DecodeAndPick(last);
        _decodeTicks = 0;
        return next;
    }

    public int Step(int token)
    {
        _batch.Clear();
        var row = _batch.Add(token, _position++, LLamaSeqId.Zero, true);
        return DecodeAndPick(row);
    }

    private int DecodeAndPick(int row)
    {
        var started = Stopwatch.GetTimestamp();
        var result = _bypassLock ? DecodeWithoutLock() : _context.NativeHandle.Decode(_batch);
        _decodeTicks += Stopwatch.GetTimestamp() - started;
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
        return TensorPrimitives.IndexOfMax(_context.NativeHandle.GetLogitsIth(row));
    }

    private DecodeResult DecodeWithoutLock()
    {
        var native = new object?[] { null };
        using var pinned = (IDisposable)ToNativeBatch.Invoke(_batch, native)!;
        return (DecodeResult)(int)NativeDecode.Invoke(null, [_context.NativeHandle, native[0]])!;
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
