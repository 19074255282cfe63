namespace Chorus.Llama;

/// <summary>
/// The prefix cache of a <see cref="ModelRunner"/>: a released sequence leaves its KV in its slot as a residue, and a new
/// sequence whose first edit starts with the same tokens begins from it instead of decoding them again (llama-server's
/// <c>cache_prompt</c>, vLLM's automatic prefix caching). Off, it only counts prefilled tokens.
/// </summary>
/// <remarks>
/// <para>Bounded by the slots, least recently used out: a residue lives in its own slot's KV stream (this binding
/// creates one stream per sequence, <c>kv_unified</c> off), which the context allocated up front, so residues cost no
/// memory beyond it. A residue's slot counts as free: admission hands it to the next request at once. A new sequence
/// takes an empty slot if there is one, else it claims the least recently used residue's slot, whose KV stays until the
/// sequence's first edit shows whether it starts with it (so one slot serving one conversation keeps its cache).</para>
/// <para>Exact: reused KV is what those very tokens produced at the same positions; only the batch shape differs from a
/// fresh prefill. Another slot's residue is copied with <c>llama_memory_seq_cp</c> over its whole range (across streams
/// llama.cpp copies only whole buffers) and cut back to the common prefix; a cache that cannot drop a tail (recurrent
/// state) or no longer holds the whole prefix (a sliding window) is not reused.</para>
/// <para>Prompt evidence: log-probs of reused positions are the ones computed when the residue's sequence was prefilled
/// with evidence, kept with it and served wherever its tokens agree up to that position (a token's log-prob depends only
/// on the tokens before it); the reused prefix stops one token before the kept log-probs end, so the first decoded row
/// yields the next one. Edits that ask for the top-k behind each prompt token, or for every row, are not reused.</para>
/// <para>Driven by the runner's thread, like the runner; only <see cref="Statistics"/> may be read from other threads.</para>
/// </remarks>
internal sealed class PrefixCache
{
    private readonly LlamaContext _context;
    private readonly RunnerSequence?[] _slots;
    private readonly bool _enabled;
    private readonly int _minimum;
    private readonly Residue?[] _residues;        // by slot: the KV a free slot still holds, or the leftover a new sequence claimed
    private readonly PromptLogProbs?[] _evidence; // by slot: prompt log-probs of the open sequence, from position 0
    private long _clock;
    private long _hitTokens;
    private long _prefillTokens;

    public PrefixCache(LlamaContext context, RunnerSequence?[] slots, PrefixCacheOptions? options)
    {
        _context = context;
        _slots = slots;
        _enabled = options is not null;
        _minimum = Math.Max(1, options?.MinimumTokens ?? 1);
        _residues = new Residue?[slots.Length];
        _evidence = new PromptLogProbs?[slots.Length];
    }

    public bool Enabled => _enabled;

    /// <summary>Tokens of edits that start a sequence from position 0, and how many of them came from the cache.</summary>
    public (long HitTokens, long PrefillTokens) Statistics => (Interlocked.Read(ref _hitTokens), Interlocked.Read(ref _prefillTokens));

    /// <summary>Free slots that hold a residue.</summary>
    public int Residues
    {
        get
        {
            var n = 0;
            for (var i = 0; i < _slots.Length; i++) if (_slots[i] is null && _residues[i] is not null) n++;
            return n;
        }
    }

    /// <summary>
    /// The slot for a new sequence: an empty one, else the least recently used residue's, which the sequence claims
    /// (its KV stays until the sequence's first edit). -1 when every slot is taken.
    /// </summary>
    public int Take()
    {
        var oldest = -1;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is not null) continue;
            if (_residues[i] is not { } r)
            {
                _context.RemoveTokens(i, -1, -1);
                return i;
            }
            if (oldest < 0 || r.LastUse < _residues[oldest]!.LastUse) oldest = i;
        }
        return oldest;
    }

    /// <summary>Keeps a released sequence's KV as its slot's residue; false when there is none to keep (the caller clears the slot).</summary>
    public bool Retain(RunnerSequence sequence)
    {
        var slot = sequence.Id;
        var evidence = _evidence[slot];
        _evidence[slot] = null;
        if (!_enabled) return false;
        // never edited: the leftover it claimed stays as it was, still the least recently used
        if (sequence.Length == 0) return _residues[slot] is not null;
        var kept = new Residue(sequence.Tokens.ToArray(), evidence) { LastUse = ++_clock };
        _residues[slot] = kept;
        // a residue that is a prefix of this one only takes a slot: every lookup it would answer, this one answers as well
        for (var j = 0; j < _slots.Length; j++)
            if (j != slot && _slots[j] is null && _residues[j] is { } other && IsPrefix(other.Tokens, kept.Tokens) && Covers(kept.Evidence, other.Evidence))
                Clear(j);
        return true;
    }

    /// <summary>Drops the leftover a new sequence claimed, before anything but its first edit reads or copies its KV.</summary>
    public void Settle(RunnerSequence sequence)
    {
        if (sequence.Length == 0 && _residues[sequence.Id] is not null) Clear(sequence.Id);
    }

    /// <summary>
    /// The edits as they will run: an edit that starts an empty sequence is rewritten to keep the longest prefix a residue
    /// holds and append the rest (at least one token, whose row gives the distribution asked for). The list itself when
    /// nothing is reused.
    /// </summary>
    public IReadOnlyList<SequenceEdit> Reuse(IReadOnlyList<SequenceEdit> edits)
    {
        if (!_enabled) return edits;
        SequenceEdit[]? rewritten = null;
        for (var i = 0; i < edits.Count; i++)
        {
            var edit = edits[i];
            if (edit.Sequence.Length > 0) continue;
            var start = Start(edit);
            if (ReferenceEquals(start, edit)) continue;
            rewritten ??= [.. edits];
            rewritten[i] = start;
        }
        return rewritten ?? (IReadOnlyList<SequenceEdit>)edits;
    }

    /// <summary>
    /// After the edits ran as <paramref name="applied"/>: gives each reused evidence edit the log-probs of every token it
    /// asked for, keeps prompt log-probs computed from position 0 with their sequence, and counts prefilled and reused tokens.
    /// </summary>
    public EditResult[] Complete(IReadOnlyList<SequenceEdit> edits, IReadOnlyList<SequenceEdit> applied, EditResult[] results)
    {
        for (var i = 0; i < edits.Count; i++)
        {
            var edit = edits[i];
            if (edit.Keep != 0) continue;
            Interlocked.Add(ref _prefillTokens, edit.Tokens.Length);
            var ran = applied[i];
            if (!ReferenceEquals(ran, edit))
            {
                Interlocked.Add(ref _hitTokens, ran.Keep);
                if (edit.TokenLogProbs) results[i] = results[i] with { TokenLogProbs = Joined(_evidence[edit.Sequence.Id]!, ran.Keep, results[i].TokenLogProbs!) };
            }
            if (_enabled && edit.TokenLogProbs)
                _evidence[edit.Sequence.Id] = new PromptLogProbs(edit.Tokens.ToArray(), results[i].TokenLogProbs!.ToArray());
        }
        return results;
    }

    // A fresh sequence's first edit: from its own claimed leftover (no copy), from another residue when that saves at
    // least the minimum beyond it, or from nothing.
    private SequenceEdit Start(SequenceEdit edit)
    {
        var slot = edit.Sequence.Id;
        if (edit.AllRows || edit.PositionsTopK > 0 || edit.Tokens.Length < 2)
        {
            Settle(edit.Sequence);
            return edit;
        }
        var own = _residues[slot] is { } mine ? Usable(mine, edit) : 0;
        int best = -1, length = 0;
        for (var j = 0; j < _slots.Length; j++)
        {
            if (j == slot || _slots[j] is not null || _residues[j] is not { } r) continue;
            var n = Usable(r, edit);
            if (n > length) (best, length) = (j, n);
        }
        if (best >= 0 && length >= _minimum && length >= own + _minimum)
        {
            var source = _residues[best]!;
            Clear(slot);
            _context.CopySequence(best, slot);
            source.LastUse = ++_clock;
            return Resume(edit, length, source);
        }
        if (own > 0)
        {
            var leftover = _residues[slot]!;
            _residues[slot] = null;
            return Resume(edit, own, leftover);
        }
        Settle(edit.Sequence);
        return edit;
    }

    // Cuts the slot's copy back to the first p tokens and rewrites the edit to append the rest.
    private SequenceEdit Resume(SequenceEdit edit, int p, Residue from)
    {
        var slot = edit.Sequence.Id;
        if (!_context.RemoveTokens(slot, p, -1) || _context.MinPosition(slot) != 0 || _context.MaxPosition(slot) != p - 1)
        {
            _context.RemoveTokens(slot, -1, -1);
            return edit;
        }
        edit.Sequence.TokenList.AddRange(edit.Tokens.AsSpan(0, p));
        _evidence[slot] = from.Evidence;
        return edit with { Keep = p, Tokens = edit.Tokens[p..] };
    }

    // How many leading tokens of the edit a residue can give: its common prefix, short of the edit's last token; for an
    // evidence edit also one short of the log-probs it kept for those tokens.
    private static int Usable(Residue residue, SequenceEdit edit)
    {
        var n = Math.Min(CommonPrefix(residue.Tokens, edit.Tokens), edit.Tokens.Length - 1);
        if (edit.TokenLogProbs) n = Math.Min(n, (residue.Evidence is { } e ? CommonPrefix(e.Tokens, edit.Tokens) : 0) - 1);
        return Math.Max(n, 0);
    }

    // Log-probs of every token of an edit that kept p tokens: entries 0..p from the residue's, the rest as decoded (the
    // decoded entry 0 is the kept token p, whose row is not recomputed).
    private static float[] Joined(PromptLogProbs kept, int p, float[] decoded)
    {
        var all = new float[p + decoded.Length];
        Array.Copy(kept.LogProbs, all, p + 1);
        Array.Copy(decoded, 1, all, p + 1, decoded.Length - 1);
        return all;
    }

    private void Clear(int slot)
    {
        _context.RemoveTokens(slot, -1, -1);
        _residues[slot] = null;
    }

    private static int CommonPrefix(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.CommonPrefixLength(b);

    private static bool IsPrefix(int[] shorter, int[] longer) => shorter.Length <= longer.Length && CommonPrefix(shorter, longer) == shorter.Length;

    // whether kept log-probs a serve every position b serves
    private static bool Covers(PromptLogProbs? a, PromptLogProbs? b) => b is null || (a is not null && IsPrefix(b.Tokens, a.Tokens));

    private sealed class Residue(int[] tokens, PromptLogProbs? evidence)
    {
        public int[] Tokens { get; } = tokens;
        public PromptLogProbs? Evidence { get; } = evidence;
        public long LastUse { get; set; }
    }

    private sealed record PromptLogProbs(int[] Tokens, float[] LogProbs);
}
