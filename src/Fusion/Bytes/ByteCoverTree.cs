namespace Chorus.Fusion;

/// <summary>
/// One member's exact next-byte distribution, from its next-token distributions over the covers of the text
/// (Hayase et al. 2025, "Sampling from Your Language Model One Byte at a Time", and Phan et al. 2024's Byte-Token
/// Representation Lemma: P(x as a prefix) = Σ over covers t of P(t)). A cover is a token sequence whose tokens before
/// the last spell a prefix of x and whose last token runs to the end of x or past it. The covers form a tree of
/// <see cref="ByteBranch"/>es (a token prefix and the text it must still spell); the next byte's probability is
/// P(x·b) / Σ_b' P(x·b') with "end" (an end-of-generation token after a prefix that spells x) as a 257th symbol.
/// </summary>
/// <remarks>
/// <para>Every tokenization counts, not only the canonical one: Hayase et al. keep only valid BPE sequences (the model is
/// assumed to give the others 0); here their mass is kept and the pruning drops it when it is small, so with
/// <see cref="BytePruning.Exact"/> the product of next-byte probabilities is the model's probability of the text as a
/// prefix exactly (tests check it against brute-force enumeration). Control tokens without bytes other than
/// end-of-generation (BOS, padding, unknown) spell nothing: a sequence that contains one is not a cover, and their mass
/// is left unspent (the next-byte probabilities sum to 1 minus it), as a token-level score leaves it.</para>
/// <para>Bound: let N_j be the kept prefix mass after byte j before pruning and D_j the mass then dropped (every cover
/// of a longer text descends from a branch of the shorter one, so what a dropped branch would have added later is at
/// most its mass when dropped). Then N_n ≤ P(x) ≤ N_n + Σ D_j, and the product of the next-byte probabilities is
/// N_n · Π (1 − D_j/N_j)⁻¹. Hence log Π q − log P(x) lies in [<see cref="Slack"/> − log(1 + Σ D_j / N_n), Slack],
/// Slack = Σ −log(1 − D_j/N_j): both sides are measured as the text goes.</para>
/// <para>Cost per byte: one pass over each branch's token range (the whole vocabulary for a branch at a token boundary)
/// and one decode of one token per new branch kept (the caller batches them).</para>
/// </remarks>
public sealed class ByteCoverTree
{
    private readonly TokenByteTable _table;
    private readonly BytePruning _pruning;
    private readonly List<ByteBranch> _branches = [];
    private readonly List<(ByteBranch Branch, double LogMass)> _candidates = [];
    private readonly double[] _mass = new double[ByteDistribution.Symbols];
    private bool _computed;
    private double _keptShare = 1;
    private double _logScale; // absolute log-mass = a branch's LogWeight + _logScale

    public ByteCoverTree(TokenByteTable table, BytePruning pruning)
    {
        _table = table ?? throw new ArgumentNullException(nameof(table));
        _pruning = pruning ?? throw new ArgumentNullException(nameof(pruning));
        if (pruning.MaxBranches < 1) throw new ArgumentException("a cover tree needs at least one branch", nameof(pruning));
    }

    /// <summary>The live branches (each holds one KV sequence).</summary>
    public IReadOnlyList<ByteBranch> Branches => _branches;

    /// <summary>Bytes observed since <see cref="Start"/>.</summary>
    public int Position { get; private set; }

    /// <summary>Σ_j −log(1 − D_j/N_j) in nats: how far pruning can have raised the text's log-probability.</summary>
    public double Slack { get; private set; }

    /// <summary>log Σ_j D_j, the total mass dropped (absolute, natural log); −∞ when nothing was dropped.</summary>
    public double LogDropped { get; private set; } = double.NegativeInfinity;

    /// <summary>log N_n: the kept mass of the text observed so far as a prefix, before the last pruning (absolute).</summary>
    public double LogPrefixMass { get; private set; }

    /// <summary>The largest share D_j/N_j dropped at one byte.</summary>
    public double MaxDroppedShare { get; private set; }

    /// <summary>Branches created and decoded (one token each), over the tree's life.</summary>
    public long Expansions { get; private set; }

    /// <summary>The most branches live at once.</summary>
    public int PeakBranches { get; private set; }

    /// <summary>The root: the prefilled context (it spells the text before the first observed byte) and its next-token distribution.</summary>
    public ByteBranch Start(TokenDistribution first, object? sequence)
    {
        if (_branches.Count > 0) throw new InvalidOperationException("the tree was started already");
        var root = new ByteBranch(null, -1, 0, 0, _table.SortedCount) { Sequence = sequence };
        root.Attach(first);
        _branches.Add(root);
        PeakBranches = 1;
        return root;
    }

    /// <summary>
    /// The next-byte distribution (257 log-probabilities, <see cref="ByteDistribution.End"/> last): P(x·b) / P(x) with
    /// P(x) the covers' mass, so they sum to less than 1 by the mass of zero-byte control tokens. Every branch must
    /// have its distribution attached. False when the member gives no byte any mass.
    /// </summary>
    public bool NextByte(Span<double> logProbs)
    {
        if (logProbs.Length != ByteDistribution.Symbols) throw new ArgumentException($"need {ByteDistribution.Symbols} entries", nameof(logProbs));
        if (_branches.Count == 0) throw new InvalidOperationException("start the tree first");
        var maxWeight = double.NegativeInfinity;
        foreach (var b in _branches) maxWeight = Math.Max(maxWeight, b.LogWeight);
        Array.Clear(_mass);
        double prefixMass = 0;
        foreach (var b in _branches)
        {
            FillBuckets(b);
            var scale = Math.Exp(b.LogWeight - maxWeight);
            double own = 0;
            for (var s = 0; s < ByteDistribution.Symbols; s++)
            {
                _mass[s] += scale * b.Buckets[s];
                own += b.Buckets[s];
            }
            // a branch at a token boundary holds every continuation of its prefix, zero-byte control tokens included;
            // a straddling branch only its token range, whose masses are all in its buckets
            prefixMass += scale * (b.Depth == 0 ? 1 : own);
        }
        _computed = true;
        return Normalize(prefixMass, logProbs);
    }

    // Divides by the mass of the text as a prefix, not by the byte masses: what the prefix's depth-0 branches give to
    // control tokens without bytes (BOS, padding, unknown) stays unspent, as a token-level score leaves it, so the
    // product of next-byte probabilities is the mass of the covers themselves (no renormalisation that a token-level
    // score never gets). The 257 probabilities then sum to at most 1.
    private bool Normalize(double prefixMass, Span<double> logProbs)
    {
        double total = 0;
        foreach (var m in _mass) total += m;
        if (!(total > 0) || !(prefixMass > 0))
        {
            logProbs.Fill(double.NegativeInfinity);
            return false;
        }
        var log = Math.Log(prefixMass);
        for (var s = 0; s < ByteDistribution.Symbols; s++) logProbs[s] = _mass[s] > 0 ? Math.Log(_mass[s]) - log : double.NegativeInfinity;
        return true;
    }

    /// <summary>
    /// Moves every branch past the byte <paramref name="next"/> (after <see cref="NextByte"/>): splits off a branch for
    /// each token that ends exactly here, narrows the straddling ones, prunes, and says what the caller must decode.
    /// </summary>
    public ByteStepPlan Observe(byte next)
    {
        if (!_computed) throw new InvalidOperationException("call NextByte before Observe: the branches' byte masses are computed there");
        _computed = false;
        _candidates.Clear();
        foreach (var b in _branches) Split(b, next);
        if (_candidates.Count == 0)
            throw new InvalidOperationException($"byte 0x{next:X2} has probability 0 under this member (no token covers the text); it cannot be observed");

        var total = LogSumExp(0, _candidates.Count);
        _candidates.Sort(MassOrder);
        var logThreshold = _pruning.Threshold > 0 ? Math.Log(_pruning.Threshold) : double.NegativeInfinity;
        var kept = 0;
        while (kept < _candidates.Count && kept < _pruning.MaxBranches && _candidates[kept].LogMass - total >= logThreshold) kept++;
        kept = KeepOneAtBoundary(kept);
        var keptMass = LogSumExp(0, kept);
        var dropped = LogSumExp(kept, _candidates.Count);

        LogPrefixMass = _logScale + total;
        var share = Math.Exp(dropped - total);
        RecordDrop(dropped, share);

        var plan = new ByteStepPlan();
        var previous = _branches.ToArray();
        _branches.Clear();
        for (var i = 0; i < kept; i++)
        {
            var branch = _candidates[i].Branch;
            branch.LogWeight -= keptMass;
            _branches.Add(branch);
        }
        _logScale += keptMass;
        _keptShare = 1;
        Position++;
        PlanSequences(previous, plan);
        PeakBranches = Math.Max(PeakBranches, _branches.Count);
        return plan;
    }

    /// <summary>Gives a new branch the distribution after its last token (and the sequence that holds it).</summary>
    public void Attach(ByteBranch child, TokenDistribution next, object? sequence)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (!_branches.Contains(child)) throw new ArgumentException("the branch is not live in this tree", nameof(child));
        child.Attach(next);
        child.Sequence = sequence;
        Expansions++;
    }

    /// <summary>Drops a new branch the caller could not decode (no free KV slot, a full context); its mass counts as dropped. The tree may be left empty.</summary>
    public void Abandon(ByteBranch child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (!_branches.Remove(child)) return;
        var mass = Math.Exp(child.LogWeight); // in the frame where the kept mass of the last byte is 1
        RecordDrop(child.LogWeight, mass / _keptShare);
        _keptShare -= mass;
    }

    /// <summary>Sequences of every live branch (to close them all when the request ends).</summary>
    public IEnumerable<object> Sequences()
    {
        foreach (var b in _branches) if (b.Sequence is { } s) yield return s;
    }

    private void RecordDrop(double logDropped, double share)
    {
        if (double.IsNegativeInfinity(logDropped) || share <= 0) return;
        LogDropped = LogAdd(LogDropped, _logScale + logDropped);
        Slack += -Math.Log(1 - Math.Min(share, 1 - 1e-12));
        MaxDroppedShare = Math.Max(MaxDroppedShare, share);
    }

    // A branch's masses under its own distribution, by next byte (and "end" at a token boundary).
    private void FillBuckets(ByteBranch b)
    {
        var next = b.Next ?? throw new InvalidOperationException("a branch has no distribution yet: decode the tree's expansions and Attach them first");
        var buckets = b.Buckets;
        Array.Clear(buckets);
        var logits = next.Logits;
        var lse = b.LogNorm;
        for (var i = b.Lo; i < b.Hi; i++)
        {
            var token = _table.SortedToken(i);
            buckets[_table.Bytes(token)[b.Depth]] += Math.Exp(logits[token] - lse);
        }
        if (b.Depth != 0) return;
        foreach (var end in _table.EndTokens) buckets[ByteDistribution.End] += Math.Exp(logits[end] - lse);
    }

    private void Split(ByteBranch b, byte next)
    {
        b.Continues = false;
        if (b.Buckets[next] <= 0) return;
        var (lo, hi) = _table.Narrow(b.Lo, b.Hi, b.Depth, next);
        var depth = b.Depth + 1;
        var exact = _table.ExactAtStart(lo, hi, depth);
        var logits = b.Next!.Logits;
        var lse = b.LogNorm;
        for (var j = 0; j < exact; j++)
        {
            var token = _table.SortedToken(lo + j);
            var child = new ByteBranch(b, token, Position + 1, b.LogWeight + logits[token] - lse, _table.SortedCount);
            _candidates.Add((child, child.LogWeight));
        }
        double rest = 0;
        for (var i = lo + exact; i < hi; i++) rest += Math.Exp(logits[_table.SortedToken(i)] - lse);
        if (rest <= 0) return;
        b.Lo = lo + exact;
        b.Hi = hi;
        b.Depth = depth;
        b.Continues = true;
        _candidates.Add((b, b.LogWeight + Math.Log(rest)));
    }

    // Ended parents free their sequence, or hand it to one child; every other child forks its parent's sequence.
    private void PlanSequences(ByteBranch[] previous, ByteStepPlan plan)
    {
        var live = new HashSet<ByteBranch>(_branches);
        var takenOver = new HashSet<ByteBranch>();
        var takeOvers = new List<ByteExpansion>();
        foreach (var child in _branches)
        {
            if (child.Next is not null) continue; // a parent that continues
            var parent = child.Parent!;
            var parentLives = live.Contains(parent) && parent.Continues;
            if (!parentLives && parent.Sequence is not null && takenOver.Add(parent)) takeOvers.Add(new ByteExpansion(child, parent, true));
            else plan.ExpansionList.Add(new ByteExpansion(child, parent, false));
        }
        plan.ExpansionList.AddRange(takeOvers);
        foreach (var p in previous)
        {
            if (live.Contains(p) && p.Continues) continue;
            if (takenOver.Contains(p) || p.Sequence is null) continue;
            plan.ReleasedList.Add(p.Sequence);
        }
    }

    // The most probable branch at a token boundary is always kept: it can spell any next byte through the single-byte
    // tokens byte-level vocabularies have (gpt2's 256, SentencePiece's byte fallback), so pruning never leaves the member
    // unable to follow the text. Keeping more mass leaves the bound as it is.
    private int KeepOneAtBoundary(int kept)
    {
        for (var i = 0; i < kept; i++) if (_candidates[i].Branch.Depth == 0) return kept;
        for (var j = kept; j < _candidates.Count; j++)
        {
            if (_candidates[j].Branch.Depth != 0) continue;
            var slot = kept < _pruning.MaxBranches ? kept++ : kept - 1;
            (_candidates[slot], _candidates[j]) = (_candidates[j], _candidates[slot]);
            _candidates.Sort(slot + 1, _candidates.Count - slot - 1, MassOrder);
            return kept;
        }
        return kept;
    }

    private static readonly Comparer<(ByteBranch Branch, double LogMass)> MassOrder = Comparer<(ByteBranch Branch, double LogMass)>.Create((a, b) => b.LogMass.CompareTo(a.LogMass));

    private double LogSumExp(int from, int to)
    {
        var max = double.NegativeInfinity;
        for (var i = from; i < to; i++) max = Math.Max(max, _candidates[i].LogMass);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        for (var i = from; i < to; i++) sum += Math.Exp(_candidates[i].LogMass - max);
        return max + Math.Log(sum);
    }

    private static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        var m = Math.Max(a, b);
        return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m));
    }
}
