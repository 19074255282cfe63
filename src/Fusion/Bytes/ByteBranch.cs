namespace Chorus.Fusion;

/// <summary>
/// One branch of a member's cover tree: the token sequences that start with a fixed token prefix t whose bytes spell
/// the text up to <see cref="Start"/>, and whose next token spells on from there — the text's bytes after
/// <see cref="Start"/> (its first <see cref="Depth"/> bytes) and then more. With depth 0 the branch holds every
/// sequence that starts with t. Its mass is P(t) times the next-token mass of the tokens still in its range.
/// </summary>
public sealed class ByteBranch
{
    private double[]? _buckets;

    internal ByteBranch(ByteBranch? parent, int token, int start, double logWeight, int sortedCount)
    {
        Parent = parent;
        Token = token;
        Start = start;
        LogWeight = logWeight;
        Hi = sortedCount;
        TokenCount = (parent?.TokenCount ?? 0) + (token >= 0 ? 1 : 0);
    }

    /// <summary>The branch this one was split from (its prefix is the parent's plus <see cref="Token"/>); null for the root.</summary>
    public ByteBranch? Parent { get; }

    /// <summary>The last token of the prefix (−1 for the root: the prefilled context).</summary>
    public int Token { get; }

    /// <summary>Tokens added to the prefilled context.</summary>
    public int TokenCount { get; }

    /// <summary>Byte offset in the text where the branch's prefix ends and its straddling token starts.</summary>
    public int Start { get; }

    /// <summary>Bytes of the text after <see cref="Start"/> that the next token must begin with.</summary>
    public int Depth { get; internal set; }

    /// <summary>log P(prefix), in the tree's running scale.</summary>
    public double LogWeight { get; internal set; }

    /// <summary>The next-token distribution after the prefix; null until the caller decoded the branch's last token.</summary>
    public TokenDistribution? Next { get; private set; }

    /// <summary>Whatever the caller holds the prefix's KV sequence by (a sequence handle; null in pure tests).</summary>
    public object? Sequence { get; set; }

    /// <summary>The tokens added to the prefilled context, oldest first.</summary>
    public int[] Tokens()
    {
        var tokens = new int[TokenCount];
        var i = TokenCount;
        for (var b = this; b is not null && i > 0; b = b.Parent)
            if (b.Token >= 0) tokens[--i] = b.Token;
        return tokens;
    }

    /// <summary>log Σ exp(logits) of <see cref="Next"/>, in double precision (the float one is off by ~1e-7 relative).</summary>
    internal double LogNorm { get; private set; }

    internal int Lo { get; set; }
    internal int Hi { get; set; }
    // allocated when the branch is first read: most candidate branches are pruned before that
    internal double[] Buckets => _buckets ??= new double[ByteDistribution.Symbols];
    internal bool Continues { get; set; }

    internal void Attach(TokenDistribution next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!next.IsFull) throw new ArgumentException("byte-level fusion needs full logits (top-k would lose the covering tokens' mass)", nameof(next));
        Next = next;
        var logits = next.Logits;
        var max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        LogNorm = max + Math.Log(sum);
    }
}
