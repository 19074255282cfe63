using System.Diagnostics;
using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>
/// One model and one context serving many sequences (KV slots). Every change to a sequence is a
/// <see cref="SequenceEdit"/> (keep n tokens, append tokens, read distributions); <see cref="Apply"/> runs the edits of
/// many sequences together, packed into as few <c>llama_decode</c> calls as the batch size allows.
/// </summary>
/// <remarks>
/// Not thread-safe, on purpose: one thread drives a runner (in a silo, the model's scheduler thread), so there is no
/// lock to take per step. Only <see cref="ActiveSequences"/>, <see cref="DecodeStatistics"/> and
/// <see cref="PrefixStatistics"/> may be read from other threads.
/// </remarks>
public sealed class ModelRunner : IDisposable
{
    private readonly LlamaBatch _batch;
    private readonly RunnerSequence?[] _slots;
    private readonly bool _ownsModel;
    private readonly PrefixCache _prefix;
    private int _active;
    private long _decodeTicks;
    private long _decodeCalls;

    /// <param name="model">The loaded model.</param>
    /// <param name="options">How the context is created (defaults when null).</param>
    /// <param name="ownsModel">Dispose the model with the runner.</param>
    /// <param name="prefixCache">Keep the KV of released sequences for new ones that start with the same tokens; null = off.</param>
    public ModelRunner(LlamaModel model, LlamaContextOptions? options = null, bool ownsModel = false, PrefixCacheOptions? prefixCache = null)
    {
        Model = model;
        _ownsModel = ownsModel;
        Context = model.CreateContext(options);
        _batch = new LlamaBatch(Context.BatchSize);
        _slots = new RunnerSequence?[Context.MaxSequences];
        _prefix = new PrefixCache(Context, _slots, prefixCache);
    }

    public LlamaModel Model { get; }
    public LlamaContext Context { get; }
    public LlamaVocabulary Vocabulary => Model.Vocabulary;
    public int MaxSequences => _slots.Length;

    /// <summary>Tokens one sequence can hold.</summary>
    public int SequenceContextSize => Context.SequenceContextSize;

    /// <summary>Sequences open now (safe to read from any thread).</summary>
    public int ActiveSequences => Volatile.Read(ref _active);

    public int FreeSequences => MaxSequences - ActiveSequences;

    /// <summary>Time spent inside <c>llama_decode</c> and number of calls (to measure binding overhead).</summary>
    public (TimeSpan DecodeTime, long DecodeCalls) DecodeStatistics =>
        (TimeSpan.FromTicks(Interlocked.Read(ref _decodeTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency), Interlocked.Read(ref _decodeCalls));

    /// <summary>
    /// Prompt tokens of edits that started a sequence from position 0, and how many of them the prefix cache served
    /// instead of decoding (safe to read from any thread).
    /// </summary>
    public (long HitTokens, long PrefillTokens) PrefixStatistics => _prefix.Statistics;

    /// <summary>Whether released sequences leave their KV for new ones with the same token prefix.</summary>
    public bool PrefixCacheEnabled => _prefix.Enabled;

    /// <summary>Free slots that still hold a released sequence's KV.</summary>
    public int CachedPrefixes => _prefix.Residues;

    /// <summary>
    /// Takes a free sequence slot: an empty one, else (prefix cache on) the least recently used cached prefix's, whose KV
    /// the new sequence starts from if its first edit begins with those tokens. Either way the sequence holds no tokens.
    /// </summary>
    public RunnerSequence Open()
    {
        var i = _prefix.Take();
        if (i < 0) throw new NoFreeSequenceException(_slots.Length);
        Interlocked.Increment(ref _active);
        return _slots[i] = new RunnerSequence(this, i);
    }

    /// <summary>Frees a sequence's slot; its KV stays as a cached prefix when the prefix cache is on. Releasing twice is harmless.</summary>
    public void Release(RunnerSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (!sequence.IsOpen) return;
        CheckOwned(sequence);
        if (!_prefix.Retain(sequence)) Context.RemoveTokens(sequence.Id, -1, -1);
        sequence.IsOpen = false;
        sequence.TokenList.Clear();
        _slots[sequence.Id] = null;
        Interlocked.Decrement(ref _active);
    }

    /// <summary>
    /// Decodes a prompt into a sequence and returns the log-probability of every prompt token given the tokens
    /// before it (entry 0 is NaN on an empty sequence) plus the next-token distribution; when
    /// <paramref name="positionsTopK"/> &gt; 0 also the top-k distribution that predicted each prompt token.
    /// </summary>
    public PrefillResult Prefill(RunnerSequence sequence, ReadOnlySpan<int> tokens, DistributionRequest request, int positionsTopK = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Length == 0)
        {
            var result = Apply([new SequenceEdit(sequence, 0, tokens.ToArray(), request) { TokenLogProbs = true, PositionsTopK = positionsTopK }], cancellationToken)[0];
            return new PrefillResult(result.TokenLogProbs!, result.Next) { Positions = result.Positions };
        }
        // the first prompt token is predicted by the cached last row, which is gone: re-decode the last cached token
        var all = new int[tokens.Length + 1];
        all[0] = sequence.Tokens[^1];
        tokens.CopyTo(all.AsSpan(1));
        var r = Apply([new SequenceEdit(sequence, sequence.Length - 1, all, request) { TokenLogProbs = true, PositionsTopK = positionsTopK }], cancellationToken)[0];
        return new PrefillResult(r.TokenLogProbs![1..], r.Next) { Positions = r.Positions?[1..] };
    }

    /// <summary>Appends tokens to a sequence and returns the distribution of the token after them.</summary>
    public TokenDistribution Append(RunnerSequence sequence, ReadOnlySpan<int> tokens, DistributionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return Apply([SequenceEdit.Append(sequence, tokens.ToArray(), request)], cancellationToken)[0].Next;
    }

    /// <summary>Rolls a sequence back to its first <paramref name="length"/> tokens (drops the rest from the KV cache).</summary>
    public void Truncate(RunnerSequence sequence, int length)
    {
        CheckOwned(sequence);
        if (length < 0 || length > sequence.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"sequence {sequence.Id} holds {sequence.Length} tokens");
        if (length == sequence.Length) return;
        if (!Context.RemoveTokens(sequence.Id, length, -1))
            throw new LlamaException($"llama.cpp could not remove positions {length}.. of sequence {sequence.Id} (partial removal unsupported by this cache)");
        sequence.TokenList.RemoveRange(length, sequence.Length - length);
    }

    /// <summary>A new sequence that shares this one's cached tokens (copy of its KV cache).</summary>
    public RunnerSequence Fork(RunnerSequence sequence)
    {
        CheckOwned(sequence);
        _prefix.Settle(sequence);
        var copy = Open();
        _prefix.Settle(copy);
        Context.CopySequence(sequence.Id, copy.Id);
        copy.TokenList.AddRange(sequence.TokenList);
        return copy;
    }

    /// <summary>
    /// Applies edits of distinct sequences: each is rolled back to its <see cref="SequenceEdit.Keep"/> tokens, then all
    /// appended tokens are packed in order into as few decodes as the batch size allows (one when they fit).
    /// Returns one result per edit, in order. If a decode fails, every sequence it touched is restored to the tokens
    /// decoded before it (its <see cref="RunnerSequence.Tokens"/> stay exact; a fresh sequence may hold the cached prefix
    /// it started from) and the exception propagates. With the prefix cache, an edit that starts an empty sequence runs as
    /// one that keeps the longest cached prefix of its tokens; its result is the same.
    /// </summary>
    public IReadOnlyList<EditResult> Apply(IReadOnlyList<SequenceEdit> edits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edits);
        Check(edits);
        // a fresh sequence's edit may start from a cached prefix: it then keeps that prefix and decodes the rest
        var run = _prefix.Reuse(edits);
        var progress = new List<EditProgress>(edits.Count);
        for (var i = 0; i < edits.Count; i++) progress.Add(new EditProgress(this, edits[i], run[i]));
        // until every edit is done: a short edit may finish before a longer one ahead of it (chunks are whole tiles)
        while (progress.Exists(p => !p.IsDone)) Step(progress, _batch.Capacity, cancellationToken);
        return progress.ConvertAll(p => p.Result());
    }

    /// <summary>
    /// Starts an edit that <see cref="Step"/> will decode, possibly over several steps; checks it now (a bad edit throws
    /// here and never reaches a batch). The caller keeps at most one unfinished edit per sequence.
    /// </summary>
    public EditProgress Begin(SequenceEdit edit)
    {
        Check([edit]);
        return new EditProgress(this, edit, _prefix.Reuse([edit])[0]);
    }

    // an edit decoded to its end: the prefix cache stitches reused prompt log-probs in, keeps new ones, and counts
    internal EditResult Completed(EditProgress progress, EditResult result) =>
        _prefix.Complete([progress.Asked], [progress.Edit], [result])[0];

    /// <summary>
    /// A chunk of a longer edit has a multiple of this many rows plus one. ggml's CPU flash attention attends a sequence's
    /// query rows in tiles of 64 (<c>GGML_FA_TILE_Q</c>) only when the sequence brings at least that many to a micro-batch,
    /// and row by row below that; and with a KV stream per sequence llama.cpp splits a batch into micro-batches of equal
    /// rows per sequence, so beside decode rows (one each) a chunk's first row goes with them and the rest alone. Chunks
    /// of 32–64 rows of a 2k-token prompt thus attended row by row and cost ~2.5× their tokens (attention was three
    /// quarters of the profile). A chunk is never smaller unless nothing else is decoded in the step.
    /// </summary>
    public const int ChunkRows = 64;

    /// <summary>
    /// An edit split by a step's budget never leaves this few rows or fewer for a later step: they go with this step's
    /// chunk instead. Alone beside decode rows such a tail would attend row by row (<see cref="ChunkRows"/>), ~2.5× its
    /// tokens, in a step of its own; in the chunk it attends in tiles, so the step stretches by less than that later step
    /// would take, the prompt is in one step sooner, and its first token comes a step earlier (a chat turn's ~100 new
    /// tokens beside three decoding chats: one step instead of a 65-row chunk and a 35-row tail).
    /// </summary>
    public const int TailRows = ChunkRows;

    /// <summary>
    /// One <c>llama_decode</c>: takes the unfinished edits in the order given, as many of each one's next tokens as fit in
    /// <paramref name="maxTokens"/> (and the batch), so a long prefill goes in chunks while short edits ahead of it finish;
    /// an edit whose rest is at most <see cref="TailRows"/> past that goes whole (within the batch).
    /// Returns the batch's rows (tokens) and sequences. If the decode fails, every sequence it touched is restored to the
    /// tokens decoded before it and the exception propagates; the edits stay where they were.
    /// </summary>
    public (int Rows, int Sequences) Step(IReadOnlyList<EditProgress> edits, int maxTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edits);
        var room = Math.Clamp(maxTokens, 1, _batch.Capacity);
        _batch.Clear();
        // which tokens go is decided in the order given (the caller's priority) ...
        var taken = new List<(EditProgress Edit, int Count)>();
        var total = 0;
        foreach (var p in edits)
        {
            if (p.IsDone) continue;
            if (total >= room) break;
            CheckOwned(p.Edit.Sequence);
            var count = Math.Min(p.Remaining, room - total);
            if (count < p.Remaining)
            {
                // a chunk of a longer edit: whole attention tiles, or none beside other work (see ChunkRows); a tail that
                // would be left below a tile goes now, past the budget, if the batch holds it (see TailRows)
                if (p.Remaining - count <= TailRows && p.Remaining <= _batch.Capacity - total) count = p.Remaining;
                else if (count > ChunkRows) count = (count - 1) / ChunkRows * ChunkRows + 1;
                else if (total > 0) continue;
            }
            taken.Add((p, count));
            total += count;
        }
        // ... and they enter the batch in sequence-id order: with a KV stream per sequence llama.cpp splits a batch into
        // micro-batches of consecutive sequence ids only, so 8 decode rows in arrival order could cost 8 graph runs
        taken.Sort((a, b) => a.Edit.Edit.Sequence.Id.CompareTo(b.Edit.Edit.Sequence.Id));
        var spans = new List<(EditProgress Edit, int Count, int FirstRow)>(taken.Count);
        foreach (var (p, count) in taken)
        {
            if (!p.RolledBack)
            {
                Truncate(p.Edit.Sequence, p.Edit.Keep);
                p.RolledBack = true;
            }
            var e = p.Edit;
            var firstRow = _batch.Count;
            for (var j = p.Decoded; j < p.Decoded + count; j++)
                _batch.Add(e.Tokens[j], e.Keep + j, e.Sequence.Id, e.TokenLogProbs || e.AllRows || j == e.Tokens.Length - 1);
            spans.Add((p, count, firstRow));
        }
        if (spans.Count == 0) return (0, 0);
        var started = Stopwatch.GetTimestamp();
        Decode(spans, cancellationToken);
        var decoded = Stopwatch.GetTimestamp();
        foreach (var (p, count, firstRow) in spans) p.Advance(this, count, firstRow);
        var decodeMs = (decoded - started) * 1000.0 / Stopwatch.Frequency;
        var readMs = Stopwatch.GetElapsedTime(decoded).TotalMilliseconds;
        // the decode and the reads are shared by every edit in the batch: each is charged the whole step, as before
        foreach (var (p, _, _) in spans) p.AddTime(decodeMs, readMs);
        return (_batch.Count, spans.Count);
    }

    private void Decode(List<(EditProgress Edit, int Count, int FirstRow)> spans, CancellationToken ct)
    {
        try
        {
            var start = Stopwatch.GetTimestamp();
            Context.Decode(_batch, ct);
            Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref _decodeCalls);
        }
        catch
        {
            // a failed or aborted decode may leave some micro-batches in the cache: restore each sequence's known state
            foreach (var s in spans) Context.RemoveTokens(s.Edit.Edit.Sequence.Id, s.Edit.Edit.Sequence.Length, -1);
            throw;
        }
        foreach (var (p, count, _) in spans)
            p.Edit.Sequence.TokenList.AddRange(p.Edit.Tokens.AsSpan(p.Decoded, count));
    }

    internal TokenDistribution Distribution(int row, DistributionRequest request)
    {
        var logits = Context.GetLogits(row);
        return request.IsFull ? TokenDistribution.FromLogits(logits) : TokenDistribution.TopK(logits, request.TopK);
    }

    private void Check(IReadOnlyList<SequenceEdit> edits)
    {
        var seen = new HashSet<int>();
        foreach (var e in edits)
        {
            ArgumentNullException.ThrowIfNull(e);
            CheckOwned(e.Sequence);
            if (!seen.Add(e.Sequence.Id)) throw new ArgumentException($"sequence {e.Sequence.Id} is edited twice in one batch");
            if (e.Keep < 0 || e.Keep > e.Sequence.Length)
                throw new ArgumentOutOfRangeException(nameof(edits), e.Keep, $"cannot keep {e.Keep} tokens of sequence {e.Sequence.Id}, which holds {e.Sequence.Length}");
            if (e.Tokens.Length == 0)
                throw new ArgumentException("nothing to decode: no tokens given (an empty text tokenizes to no tokens)", nameof(edits));
            var vocab = Vocabulary.Count;
            foreach (var t in e.Tokens)
                if ((uint)t >= (uint)vocab)
                    throw new ArgumentOutOfRangeException(nameof(edits), t, $"token id {t} is outside the vocabulary of {vocab} tokens");
            if (e.Keep + e.Tokens.Length > SequenceContextSize)
                throw new ContextOverflowException(e.Keep + e.Tokens.Length, SequenceContextSize);
        }
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
