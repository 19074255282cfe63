using System.Text;

namespace Chorus.Fusion.Tests.Bytes;

/// <summary>
/// A toy tokenized language model for the byte-level tests: a handful of byte pieces (overlapping, so a text has many
/// tokenizations) plus one end-of-generation token, with next-token logits a seeded hash of the whole context — no
/// structure a shortcut could exploit, every tokenization gets real mass.
/// </summary>
internal sealed class ToyTokenModel
{
    private readonly byte[][] _pieces;
    private readonly int _seed;
    private readonly double _scale;

    // controlTokens: zero-byte control tokens that are not end-of-generation (a BOS that is not the EOS, padding,
    // unknown), placed after the pieces — they spell nothing, so a sequence that holds one covers no text
    public ToyTokenModel(string[] pieces, int seed, double scale = 2.0, int controlTokens = 0)
    {
        _pieces = [.. pieces.Select(p => Encoding.UTF8.GetBytes(p)), .. Enumerable.Range(0, controlTokens).Select(_ => Array.Empty<byte>()), []];
        _seed = seed;
        _scale = scale;
        End = _pieces.Length - 1;
        Table = TokenByteTable.Create(_pieces.Length, id => _pieces[id], id => id == End);
    }

    public static string[] AbPieces => ["a", "b", "ab", "ba", "aba", "bb", " ", " a", "b ", "é", "\u00c3"];

    public int End { get; }

    public int Count => _pieces.Length;

    public TokenByteTable Table { get; }

    public ReadOnlySpan<byte> Piece(int id) => _pieces[id];

    public TokenDistribution Next(IReadOnlyList<int> context)
    {
        var h = (ulong)(uint)_seed * 0x9E3779B97F4A7C15UL + 17;
        foreach (var t in context) h = (h ^ (ulong)(t + 1)) * 0xBF58476D1CE4E5B9UL;
        var logits = new float[_pieces.Length];
        for (var v = 0; v < logits.Length; v++)
        {
            var x = (h ^ (ulong)(v + 1) * 0x94D049BB133111EBUL) * 0xD6E8FEB86659FD93UL;
            x ^= x >> 31;
            logits[v] = (float)(((x >> 11) * (1.0 / (1UL << 53)) * 2 - 1) * _scale);
        }
        return TokenDistribution.FromLogits(logits);
    }

    public double LogProb(IReadOnlyList<int> context, int token)
    {
        var logits = Next(context).Logits;
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l);
        return logits[token] - Math.Log(sum);
    }
}

/// <summary>Brute force over every token sequence: the model's probability that its bytes start with a text, and that they are exactly it.</summary>
internal static class BruteForce
{
    /// <summary>log Σ over covers t of P(t): the model's probability of generating <paramref name="text"/> as a prefix.</summary>
    public static double PrefixLogProb(ToyTokenModel model, byte[] text) => Math.Log(Prefix(model, text, [], 0, 1.0));

    /// <summary>log of the probability that the text is the whole output (a tokenization of it followed by end).</summary>
    public static double CompleteLogProb(ToyTokenModel model, byte[] text) => Math.Log(Complete(model, text, [], 0, 1.0));

    private static double Prefix(ToyTokenModel model, byte[] text, List<int> context, int at, double p)
    {
        if (at == text.Length) return p; // spells the text exactly: every continuation counts
        double sum = 0;
        for (var v = 0; v < model.Count; v++)
        {
            var piece = model.Piece(v);
            if (v == model.End || piece.Length == 0) continue;
            var n = Math.Min(piece.Length, text.Length - at);
            if (!piece[..n].SequenceEqual(text.AsSpan(at, n))) continue;
            var pv = p * Math.Exp(model.LogProb(context, v));
            if (at + piece.Length >= text.Length) sum += pv; // reaches or straddles the end
            else
            {
                context.Add(v);
                sum += Prefix(model, text, context, at + piece.Length, pv);
                context.RemoveAt(context.Count - 1);
            }
        }
        return sum;
    }

    private static double Complete(ToyTokenModel model, byte[] text, List<int> context, int at, double p)
    {
        if (at == text.Length) return p * Math.Exp(model.LogProb(context, model.End));
        double sum = 0;
        for (var v = 0; v < model.Count; v++)
        {
            var piece = model.Piece(v);
            if (v == model.End || piece.Length == 0 || at + piece.Length > text.Length || !piece.SequenceEqual(text.AsSpan(at, piece.Length))) continue;
            var pv = p * Math.Exp(model.LogProb(context, v));
            context.Add(v);
            sum += Complete(model, text, context, at + piece.Length, pv);
            context.RemoveAt(context.Count - 1);
        }
        return sum;
    }
}

/// <summary>Drives a cover tree over a text with a toy model, as the cluster does with KV sequences (handles are numbered objects; the test checks each is freed once).</summary>
internal sealed class ToyTreeRun
{
    private int _nextHandle;

    public ToyTreeRun(ToyTokenModel model, BytePruning pruning)
    {
        Model = model;
        Tree = new ByteCoverTree(model.Table, pruning);
        Tree.Start(model.Next([]), NewHandle());
    }

    public ToyTokenModel Model { get; }
    public ByteCoverTree Tree { get; }
    public HashSet<int> LiveHandles { get; } = [];
    public int Forks { get; private set; }
    public double[] LastLogProbs { get; } = new double[ByteDistribution.Symbols];

    /// <summary>Scores and observes each byte; returns Σ log q(byte).</summary>
    public double Feed(ReadOnlySpan<byte> bytes)
    {
        double sum = 0;
        foreach (var b in bytes)
        {
            Assert.True(Tree.NextByte(LastLogProbs));
            sum += LastLogProbs[b];
            Step(b);
        }
        Assert.True(Tree.NextByte(LastLogProbs));
        return sum;
    }

    private void Step(byte b)
    {
        var plan = Tree.Observe(b);
        foreach (var released in plan.Released) Assert.True(LiveHandles.Remove((int)released), "a sequence was freed twice or never held");
        foreach (var e in plan.Expansions)
        {
            int handle;
            if (e.TakesParentSequence) handle = (int)e.Parent.Sequence!;
            else
            {
                Assert.Contains((int)e.Parent.Sequence!, LiveHandles); // forks come before take-overs of the same parent
                handle = NewHandle();
                Forks++;
            }
            Tree.Attach(e.Child, Model.Next(e.Child.Tokens()), handle);
        }
        Assert.Equal(Tree.Branches.Count, LiveHandles.Count);
        Assert.Equal(LiveHandles.OrderBy(h => h), Tree.Sequences().Select(s => (int)s).OrderBy(h => h));
    }

    private int NewHandle()
    {
        var h = _nextHandle++;
        LiveHandles.Add(h);
        return h;
    }
}
