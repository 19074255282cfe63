namespace Chorus.Fusion;

/// <summary>
/// The bytes each token of a vocabulary stands for, with the tokens that have any bytes sorted by them (ordinal byte
/// order, a prefix before its extensions). The tokens whose bytes start with a given prefix are then one contiguous
/// range of the sorted order, and the tokens that continue the prefix with byte b a sub-range of it — how
/// <see cref="ByteCoverTree"/> finds a branch's covering tokens without a trie. Built once per vocabulary.
/// </summary>
public sealed class TokenByteTable
{
    private readonly byte[][] _bytes;
    private readonly int[] _sorted;
    private readonly int[] _ends;

    private TokenByteTable(byte[][] bytes, int[] sorted, int[] ends)
    {
        _bytes = bytes;
        _sorted = sorted;
        _ends = ends;
        foreach (var b in bytes) MaxTokenBytes = Math.Max(MaxTokenBytes, b.Length);
    }

    /// <summary>Tokens of the vocabulary (ids 0..Count−1).</summary>
    public int Count => _bytes.Length;

    /// <summary>The longest token in bytes.</summary>
    public int MaxTokenBytes { get; }

    /// <summary>Tokens with at least one byte, in sorted order; positions 0..SortedCount−1.</summary>
    public int SortedCount => _sorted.Length;

    /// <summary>End-of-generation tokens (they carry no bytes; their mass is the "text ends here" event).</summary>
    public ReadOnlySpan<int> EndTokens => _ends;

    /// <summary>The token at a position of the sorted order.</summary>
    public int SortedToken(int position) => _sorted[position];

    /// <summary>The bytes of a token (empty for control tokens).</summary>
    public ReadOnlySpan<byte> Bytes(int token) => _bytes[token];

    /// <summary>
    /// Builds the table. <paramref name="bytes"/> gives a token's bytes (control tokens: none); tokens with no bytes
    /// that are not end-of-generation (BOS, padding) can never spell text and get no byte mass.
    /// </summary>
    public static TokenByteTable Create(int count, Func<int, byte[]> bytes, Func<int, bool> isEndOfGeneration)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(isEndOfGeneration);
        var all = new byte[count][];
        var spelled = new List<int>(count);
        var ends = new List<int>();
        for (var id = 0; id < count; id++)
        {
            var end = isEndOfGeneration(id);
            all[id] = end ? [] : bytes(id) ?? [];
            if (end) ends.Add(id);
            else if (all[id].Length > 0) spelled.Add(id);
        }
        var sorted = spelled.ToArray();
        Array.Sort(sorted, (a, b) =>
        {
            var c = all[a].AsSpan().SequenceCompareTo(all[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return new TokenByteTable(all, sorted, [.. ends]);
    }

    /// <summary>
    /// Within the sorted range [lo, hi) of tokens that share their first <paramref name="depth"/> bytes, the
    /// sub-range of those whose byte at <paramref name="depth"/> is <paramref name="next"/>.
    /// </summary>
    public (int Lo, int Hi) Narrow(int lo, int hi, int depth, byte next)
    {
        var start = LowerBound(lo, hi, depth, next);
        var end = next == 255 ? hi : LowerBound(start, hi, depth, next + 1);
        return (start, end);
    }

    /// <summary>How many tokens at the start of the sorted range [lo, hi) are exactly <paramref name="length"/> bytes long.</summary>
    public int ExactAtStart(int lo, int hi, int length)
    {
        var n = 0;
        while (lo + n < hi && _bytes[_sorted[lo + n]].Length == length) n++;
        return n;
    }

    // first position in [lo, hi) whose key (−1 for a token that ends at depth, else its byte at depth) is ≥ key
    private int LowerBound(int lo, int hi, int depth, int key)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var b = _bytes[_sorted[mid]];
            var k = b.Length > depth ? b[depth] : -1;
            if (k < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
