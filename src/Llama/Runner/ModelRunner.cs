using System.Diagnostics;
using Chorus.Fusion;

namespace Chorus.Llama;

/// <summary>
/// One model and one context serving many sequences: prefill, append, truncate (KV rollback), fork and release,
/// and a <see cref="Step"/> that decodes the pending tokens of many sequences in one <c>llama_decode</c>.
/// Thread-safe: calls are serialised on the context.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LlamaBatch _batch;
    private readonly RunnerSequence?[] _slots;
    private readonly bool _ownsModel;
    private long _decodeTicks;
    private long _decodeCalls;

    public ModelRunner(LlamaModel model, LlamaContextOptions? options = null, bool ownsModel = false)
    {
        Model = model;
        _ownsModel = ownsModel;
        Context = model.CreateContext(options);
        _batch = new LlamaBatch(Context.BatchSize);
        _slots = new RunnerSequence?[Context.MaxSequences];
    }

    public LlamaModel Model { get; }
    public LlamaContext Context { get; }
    public LlamaVocabulary Vocabulary => Model.Vocabulary;
    public int MaxSequences => _slots.Length;

    /// <summary>Tokens one sequence can hold.</summary>
    public int SequenceContextSize => Context.SequenceContextSize;

    public int ActiveSequences
    {
        get { lock (_gate) return _slots.Count(s => s is not null); }
    }

    public int FreeSequences => MaxSequences - ActiveSequences;

    /// <summary>Time spent inside <c>llama_decode</c> and number of calls (to measure binding overhead).</summary>
    public (TimeSpan DecodeTime, long DecodeCalls) DecodeStatistics =>
        (TimeSpan.FromTicks(Interlocked.Read(ref _decodeTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency), Interlocked.Read(ref _decodeCalls));

    /// <summary>Takes a free sequence slot.</summary>
    public RunnerSequence Open()
    {
        lock (_gate)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is not null) continue;
                Context.RemoveTokens(i, -1, -1);
                return _slots[i] = new RunnerSequence(this, i);
            }
            throw new NoFreeSequenceException(_slots.Length);
        }
    }

    /// <summary>Frees a sequence's slot and its KV cache. Releasing twice is harmless.</summary>
    public void Release(RunnerSequence sequence)
    {
        lock (_gate)
        {
            if (!sequence.IsOpen) return;
            CheckOwned(sequence);
            Context.RemoveTokens(sequence.Id, -1, -1);
            sequence.IsOpen = false;
            sequence.TokenList.Clear();
            _slots[sequence.Id] = null;
        }
    }

    /// <summary>
    /// Decodes a prompt into a sequence and returns the log-probability of every prompt token given the tokens
    /// before it (entry 0 is NaN on an empty sequence) plus the next-token distribution.
    /// </summary>
    public PrefillResult Prefill(RunnerSequence sequence, ReadOnlySpan<int> tokens, DistributionRequest request, CancellationToken cancellationToken = default) =>
        Prefill(sequence, tokens, request, positionsTopK: 0, cancellationToken);

    /// <summary>
    /// As <see cref="Prefill(RunnerSequence, ReadOnlySpan{int}, DistributionRequest, CancellationToken)"/>, and when
    /// <paramref name="positionsTopK"/> &gt; 0 also the top-k distribution that predicted each prompt token (entry i
    /// predicts token i; null where nothing did).
    /// </summary>
    public PrefillResult Prefill(RunnerSequence sequence, ReadOnlySpan<int> tokens, DistributionRequest request, int positionsTopK, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            CheckAppend(sequence, tokens);
            var logProbs = new float[tokens.Length];
            var first = 0;
            if (sequence.Length == 0) logProbs[0] = float.NaN;
            else first = -1; // the first prompt token is predicted by the cached last row, which we no longer have: re-decode it
            if (first < 0)
            {
                // roll back one token so its row predicts tokens[0]
                var last = sequence.TokenList[^1];
                TruncateLocked(sequence, sequence.Length - 1);
                var all = new int[tokens.Length + 1];
                all[0] = last;
                tokens.CopyTo(all.AsSpan(1));
                var inner = new float[all.Length];
                var innerPositions = positionsTopK > 0 ? new TokenDistribution?[all.Length] : null;
                var next = DecodeAll(sequence, all, inner, innerPositions, positionsTopK, request, cancellationToken);
                inner.AsSpan(1).CopyTo(logProbs);
                return new PrefillResult(logProbs, next) { Positions = innerPositions?[1..] };
            }
            var positions = positionsTopK > 0 ? new TokenDistribution?[tokens.Length] : null;
            var dist = DecodeAll(sequence, tokens, logProbs, positions, positionsTopK, request, cancellationToken);
            return new PrefillResult(logProbs, dist) { Positions = positions };
        }
    }

    /// <summary>Appends tokens to a sequence and returns the distribution of the token after them.</summary>
    public TokenDistribution Append(RunnerSequence sequence, ReadOnlySpan<int> tokens, DistributionRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            CheckAppend(sequence, tokens);
            var position = sequence.Length;
            TokenDistribution? result = null;
            for (var start = 0; start < tokens.Length; start += _batch.Capacity)
            {
                var chunk = tokens.Slice(start, Math.Min(_batch.Capacity, tokens.Length - start));
                var isLast = start + chunk.Length == tokens.Length;
                _batch.Clear();
                for (var i = 0; i < chunk.Length; i++)
                    _batch.Add(chunk[i], position + i, sequence.Id, isLast && i == chunk.Length - 1);
                DecodeBatch(sequence, chunk, cancellationToken);
                position += chunk.Length;
                if (isLast) result = Distribution(_batch.Count - 1, request);
            }
            return result!;
        }
    }

    /// <summary>Rolls a sequence back to its first <paramref name="length"/> tokens (drops the rest from the KV cache).</summary>
    public void Truncate(RunnerSequence sequence, int length)
    {
        lock (_gate) TruncateLocked(sequence, length);
    }

    /// <summary>A new sequence that shares this one's cached tokens (copy of its KV cache).</summary>
    public RunnerSequence Fork(RunnerSequence sequence)
    {
        lock (_gate)
        {
            CheckOwned(sequence);
            var copy = Open();
            Context.CopySequence(sequence.Id, copy.Id);
            copy.TokenList.AddRange(sequence.TokenList);
            return copy;
        }
    }

    /// <summary>
    /// Appends pending tokens of many sequences in ONE <c>llama_decode</c> (several only when they exceed the batch
    /// size) and returns each sequence's next distribution, in order.
    /// </summary>
    public IReadOnlyList<TokenDistribution> Step(IReadOnlyList<SequenceWork> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_gate)
        {
            var seen = new HashSet<int>();
            foreach (var w in work)
            {
                CheckAppend(w.Sequence, w.Tokens);
                if (!seen.Add(w.Sequence.Id)) throw new ArgumentException($"sequence {w.Sequence.Id} appears twice in one step");
            }
            var results = new TokenDistribution[work.Count];
            var index = 0;
            while (index < work.Count)
            {
                // pack as many whole work items as fit; an item larger than the batch goes alone through Append
                if (work[index].Tokens.Length > _batch.Capacity)
                {
                    results[index] = Append(work[index].Sequence, work[index].Tokens, work[index].Request, cancellationToken);
                    index++;
                    continue;
                }
                _batch.Clear();
                var first = index;
                var rows = new List<int>();
                while (index < work.Count && _batch.Count + work[index].Tokens.Length <= _batch.Capacity)
                {
                    var w = work[index];
                    for (var i = 0; i < w.Tokens.Length; i++)
                    {
                        var row = _batch.Add(w.Tokens[i], w.Sequence.Length + i, w.Sequence.Id, i == w.Tokens.Length - 1);
                        if (i == w.Tokens.Length - 1) rows.Add(row);
                    }
                    index++;
                }
                TimedDecode(cancellationToken);
                for (var i = first; i < index; i++)
                {
                    work[i].Sequence.TokenList.AddRange(work[i].Tokens);
                    results[i] = Distribution(rows[i - first], work[i].Request);
                }
            }
            return results;
        }
    }

    private TokenDistribution DecodeAll(RunnerSequence sequence, ReadOnlySpan<int> tokens, float[] logProbs, TokenDistribution?[]? positions, int positionsTopK,
        DistributionRequest request, CancellationToken ct)
    {
        var position = sequence.Length;
        TokenDistribution? next = null;
        for (var start = 0; start < tokens.Length; start += _batch.Capacity)
        {
            var chunk = tokens.Slice(start, Math.Min(_batch.Capacity, tokens.Length - start));
            _batch.Clear();
            for (var i = 0; i < chunk.Length; i++) _batch.Add(chunk[i], position + i, sequence.Id, wantLogits: true);
            DecodeBatch(sequence, chunk, ct);
            // row i predicts token start+i+1
            for (var i = 0; i < chunk.Length; i++)
            {
                var target = start + i + 1;
                if (target < tokens.Length)
                {
                    var logits = Context.GetLogits(i);
                    logProbs[target] = logits[tokens[target]] - TokenDistribution.LogSumExpOf(logits);
                    if (positions is not null) positions[target] = TokenDistribution.TopK(logits, positionsTopK);
                }
            }
            position += chunk.Length;
            if (start + chunk.Length == tokens.Length) next = Distribution(chunk.Length - 1, request);
        }
        return next!;
    }

    private void DecodeBatch(RunnerSequence sequence, ReadOnlySpan<int> tokens, CancellationToken ct)
    {
        try
        {
            TimedDecode(ct);
        }
        catch
        {
            // a failed or aborted decode may leave some micro-batches in the cache: restore the sequence's known state
            Context.RemoveTokens(sequence.Id, sequence.Length, -1);
            throw;
        }
        sequence.TokenList.AddRange(tokens);
    }

    private void TimedDecode(CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        Context.Decode(_batch, ct);
        Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _decodeCalls);
    }

    private TokenDistribution Distribution(int row, DistributionRequest request)
    {
        var logits = Context.GetLogits(row);
        return request.IsFull ? TokenDistribution.FromLogits(logits) : TokenDistribution.TopK(logits, request.TopK);
    }

    private void TruncateLocked(RunnerSequence sequence, int length)
    {
        CheckOwned(sequence);
        if (length < 0 || length > sequence.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"sequence {sequence.Id} holds {sequence.Length} tokens");
        if (length == sequence.Length) return;
        if (!Context.RemoveTokens(sequence.Id, length, -1))
            throw new LlamaException($"llama.cpp could not remove positions {length}.. of sequence {sequence.Id} (partial removal unsupported by this cache)");
        sequence.TokenList.RemoveRange(length, sequence.Length - length);
    }

    private void CheckAppend(RunnerSequence sequence, ReadOnlySpan<int> tokens)
    {
        CheckOwned(sequence);
        if (tokens.Length == 0)
            throw new ArgumentException("nothing to decode: no tokens given (an empty text tokenizes to no tokens)", nameof(tokens));
        var vocab = Vocabulary.Count;
        foreach (var t in tokens)
            if ((uint)t >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id {t} is outside the vocabulary of {vocab} tokens");
        if (sequence.Length + tokens.Length > SequenceContextSize)
            throw new ContextOverflowException(sequence.Length + tokens.Length, SequenceContextSize);
    }

    private void CheckOwned(RunnerSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (!ReferenceEquals(sequence.Owner, this)) throw new ArgumentException("sequence belongs to another model runner", nameof(sequence));
        if (!sequence.IsOpen) throw new InvalidOperationException($"sequence {sequence.Id} was released");
    }

    public void Dispose()
    {
        _batch.Dispose();
        Context.Dispose();
        if (_ownsModel) Model.Dispose();
    }
}
