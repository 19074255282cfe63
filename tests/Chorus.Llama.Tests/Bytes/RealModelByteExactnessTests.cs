using System.Text;
using Chorus.Fusion;
using Chorus.Primitives;

namespace Chorus.Llama.Tests.Bytes;

/// <summary>
/// The byte-level conversion on a real tokenizer and model (the synthetic gpt-2-vocabulary GGUF through llama.cpp):
/// with no pruning, the product of the next-byte probabilities of a short text equals the brute-force sum, over every
/// token sequence of the real 50k vocabulary that covers the text, of its probability under the model.
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class RealModelByteExactnessTests(SyntheticModelFixture models)
{
    [Theory]
    [InlineData(" cat")]
    [InlineData("a b")]
    [InlineData(" é!")]
    public void Byte_level_probability_is_the_sum_over_every_tokenization(string text)
    {
        var vocabulary = models.Gpt2.Vocabulary;
        using var runner = new ModelRunner(models.Gpt2, new LlamaContextOptions { ContextSize = 64, MaxSequences = 1, Threads = 2, FullPrecisionCache = true });
        var model = new ContextDistributions(runner, vocabulary.Bos);
        var table = TokenByteTable.Create(vocabulary.Count, id => vocabulary.IsControl(id) ? [] : vocabulary.TokenBytes(id), vocabulary.IsEndOfGeneration);
        var bytes = Encoding.UTF8.GetBytes(text);

        var tree = new ByteCoverTree(table, BytePruning.Exact);
        tree.Start(model.After([]), null);
        var lp = new double[ByteDistribution.Symbols];
        double byteLevel = 0;
        foreach (var b in bytes)
        {
            Assert.True(tree.NextByte(lp));
            byteLevel += lp[b];
            foreach (var e in tree.Observe(b).Expansions) tree.Attach(e.Child, model.After(e.Child.Tokens()), null);
        }

        var tokenLevel = Math.Log(CoverMass(model, table, bytes, [], 0, 1.0));
        Assert.Equal(tokenLevel, byteLevel, 1e-6);
        Assert.True(tree.PeakBranches > 1, "a real vocabulary spells these texts in several ways");
        var canonical = vocabulary.Tokenize(text);
        Assert.True(byteLevel >= model.LogProbOf(canonical) - 1e-9, "the canonical tokenization is one of the covers");
    }

    /// <summary>
    /// A prompt that ends inside a word, on the SentencePiece model (its BOS &lt;s&gt; is not its EOS &lt;/s&gt;, and both
    /// spell nothing): the member backs off to the start of the word (<see cref="PromptBackOff"/>), re-reads the word's
    /// start byte by byte, and the continuation's next-byte probabilities multiply to exactly
    /// Σ covers(word start + continuation) / Σ covers(word start) after the prompt's tokens before the word — the
    /// byte-level conditional under the back-off, with the control tokens' mass left unspent at every step.
    /// </summary>
    [Theory]
    [InlineData("Hello wor", "ld")]
    [InlineData("a cat s", "at")]
    public void A_prompt_that_ends_inside_a_word_is_continued_exactly(string prompt, string continuation)
    {
        var vocabulary = models.Spm.Vocabulary;
        Assert.NotEqual(vocabulary.Bos, vocabulary.Eos);
        using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 64, MaxSequences = 1, Threads = 2, FullPrecisionCache = true });
        var model = new ContextDistributions(runner, vocabulary.Bos);
        var table = TokenByteTable.Create(vocabulary.Count, id => vocabulary.IsControl(id) ? [] : vocabulary.TokenBytes(id), vocabulary.IsEndOfGeneration);

        var split = PromptBackOff.Point(vocabulary, prompt);
        Assert.Equal(prompt.LastIndexOf(' '), split); // backs off to the last word's start, inside the prompt
        var context = vocabulary.Tokenize(prompt[..split]);
        var replay = Encoding.UTF8.GetBytes(prompt[split..]);
        var scored = Encoding.UTF8.GetBytes(continuation);

        var tree = new ByteCoverTree(table, BytePruning.Exact);
        tree.Start(model.After(context), null);
        var lp = new double[ByteDistribution.Symbols];
        double byteLevel = 0;
        for (var i = 0; i < replay.Length + scored.Length; i++)
        {
            var b = i < replay.Length ? replay[i] : scored[i - replay.Length];
            Assert.True(tree.NextByte(lp));
            if (i >= replay.Length) byteLevel += lp[b];
            foreach (var e in tree.Observe(b).Expansions) tree.Attach(e.Child, model.After([.. context, .. e.Child.Tokens()]), null);
        }

        var exact = Math.Log(CoverMass(model, table, [.. replay, .. scored], [.. context], 0, 1.0))
            - Math.Log(CoverMass(model, table, replay, [.. context], 0, 1.0));
        Assert.Equal(exact, byteLevel, 1e-6);
    }

    // Σ over token sequences that spell the text from `at` on (any segmentation), of P(sequence) × (1 at the end, or the
    // mass of the tokens that straddle the end)
    private static double CoverMass(ContextDistributions model, TokenByteTable table, byte[] text, List<int> context, int at, double p)
    {
        if (at == text.Length) return p;
        var next = model.After(context);
        var norm = ContextDistributions.LogNorm(next);
        double sum = 0;
        for (var v = 0; v < table.Count; v++)
        {
            var piece = table.Bytes(v);
            if (piece.Length == 0) continue;
            var n = Math.Min(piece.Length, text.Length - at);
            if (!piece[..n].SequenceEqual(text.AsSpan(at, n))) continue;
            var pv = p * Math.Exp(next.Logits[v] - norm);
            if (at + piece.Length >= text.Length) sum += pv;
            else
            {
                context.Add(v);
                sum += CoverMass(model, table, text, context, at + piece.Length, pv);
                context.RemoveAt(context.Count - 1);
            }
        }
        return sum;
    }

    /// <summary>The model's next-token distribution after BOS + a token sequence, each prefilled afresh on one sequence (cached).</summary>
    private sealed class ContextDistributions(ModelRunner runner, int bos)
    {
        private readonly Dictionary<string, TokenDistribution> _cache = [];

        public TokenDistribution After(IReadOnlyList<int> tokens)
        {
            var key = string.Join(",", tokens);
            if (_cache.TryGetValue(key, out var d)) return d;
            var sequence = runner.Open();
            try
            {
                return _cache[key] = runner.Prefill(sequence, [bos, .. tokens], DistributionRequest.Full).Next;
            }
            finally
            {
                runner.Release(sequence);
            }
        }

        // in double precision, as the tree normalises (the float log-sum-exp is off by ~1e-7)
        public static double LogNorm(TokenDistribution d)
        {
            var max = double.NegativeInfinity;
            foreach (var l in d.Logits) max = Math.Max(max, l);
            double sum = 0;
            foreach (var l in d.Logits) sum += Math.Exp(l - max);
            return max + Math.Log(sum);
        }

        public double LogProbOf(int[] tokens)
        {
            double sum = 0;
            for (var i = 0; i < tokens.Length; i++)
            {
                var d = After(tokens[..i]);
                sum += d.Logits[tokens[i]] - LogNorm(d);
            }
            return sum;
        }
    }
}
