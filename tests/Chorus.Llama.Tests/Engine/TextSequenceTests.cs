using Chorus.Primitives;

namespace Chorus.Llama.Tests.Engine;

/// <summary>The heterogeneous-vocabulary path: a sequence follows a growing shared text by re-tokenizing only its tail.</summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class TextSequenceTests(SyntheticModelFixture models)
{
    private const string Prompt = "The old lighthouse keeper";
    private static readonly string[] Continuations = [" watched", " the", " storm", "s", " roll", " in", " from", " the", " sea", ",", " count", "ing", " waves", ".", "\nNext", " morning", ": calm", " 🦙", " again"];

    [Theory]
    [InlineData("spm")]
    [InlineData("gpt2")]
    public void Syncing_a_growing_text_keeps_the_tokens_of_a_full_tokenization(string which)
    {
        var model = which == "spm" ? models.Spm : models.Gpt2;
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = 256, FullPrecisionCache = true });
        var text = new TextSequence(runner, runner.Open());
        using var fresh = new ModelRunner(model, new LlamaContextOptions { ContextSize = 256, FullPrecisionCache = true });
        text.Prefill(Prompt, DistributionRequest.Full);
        var shared = Prompt;
        foreach (var piece in Continuations)
        {
            shared += piece;
            var (next, decoded, rolledBack) = text.Sync(shared, DistributionRequest.Full);
            var expected = model.Vocabulary.Tokenize(shared, addSpecial: true);
            Assert.Equal(expected, text.Sequence.Tokens);
            Assert.True(decoded.Length >= 1);
            Assert.True(rolledBack <= TextSequence.Window * 4);
            Assert.Equal(shared, text.Text);
            Assert.Equal(text.Sequence.Tokens.Count, text.Offsets.Count);

            // the distribution equals a fresh decode of the whole text (the rollback was exact)
            var seq = fresh.Open();
            var reference = fresh.Prefill(seq, expected, DistributionRequest.Full).Next;
            fresh.Release(seq);
            Assert.Equal(reference.ArgMax(), next.ArgMax());
            Assert.Equal(reference.LogSumExp, next.LogSumExp, 2e-3f);
        }
        Assert.True(text.FullRetokenizations <= Continuations.Length / 4, $"{text.FullRetokenizations} full re-tokenizations: the tail path should be the norm");
    }

    [Fact]
    public void A_prefill_without_evidence_reads_only_the_last_row_and_gives_the_same_next_distribution()
    {
        using var runner = new ModelRunner(models.Gpt2, new LlamaContextOptions { ContextSize = 512, MaxSequences = 2, FullPrecisionCache = true });
        var with = new TextSequence(runner, runner.Open());
        var without = new TextSequence(runner, runner.Open());
        var planned = with.PlanPrefill(Prompt, DistributionRequest.Full, evidence: true);
        var bare = without.PlanPrefill(Prompt, DistributionRequest.Full, evidence: false);
        var results = runner.Apply([planned.Edit, bare.Edit]);
        with.Commit(planned);
        without.Commit(bare);

        Assert.NotNull(results[0].TokenLogProbs);
        Assert.All(results[0].TokenLogProbs![1..], lp => Assert.True(float.IsFinite(lp) && lp < 0));
        Assert.Null(results[1].TokenLogProbs);
        Assert.True(MaxDifference(results[0].Next, results[1].Next) < 1e-4f);
        Assert.Equal(with.Sequence.Tokens, without.Sequence.Tokens);
        Assert.Equal(with.Offsets, without.Offsets);

        // and the sequence goes on as one that was prefilled with evidence
        var a = with.Sync(Prompt + " watched", DistributionRequest.Full).Next;
        var b = without.Sync(Prompt + " watched", DistributionRequest.Full).Next;
        Assert.True(MaxDifference(a, b) < 1e-4f);
    }

    private static float MaxDifference(TokenDistribution a, TokenDistribution b)
    {
        var max = 0f;
        for (var i = 0; i < a.Logits.Length; i++) max = Math.Max(max, Math.Abs(a.Logits[i] - b.Logits[i]));
        return max;
    }

    [Fact]
    public void Offsets_point_at_each_token_in_the_text()
    {
        const string s = "Hello world, this is Chorus.";
        foreach (var model in new[] { models.Spm, models.Gpt2 })
        {
            var ids = model.Vocabulary.Tokenize(s, addSpecial: true);
            var offsets = TokenOffsets.Compute(model.Vocabulary, s, ids);
            Assert.Equal(ids.Length, offsets.Length);
            for (var i = 0; i < ids.Length; i++)
            {
                var piece = model.Vocabulary.TokenToString(ids[i]);
                if (piece.Length == 0) continue; // BOS
                var trimmed = piece.TrimStart(' ');
                Assert.True(string.CompareOrdinal(s, offsets[i] + (piece.Length - trimmed.Length > 0 && offsets[i] == 0 ? 0 : piece.Length - trimmed.Length), trimmed, 0, trimmed.Length) == 0,
                    $"token {i} '{piece}' at {offsets[i]}");
            }
            Assert.True(offsets.SequenceEqual(offsets.Order()));
        }
    }

    [Fact]
    public void An_exported_tokenizer_tokenizes_exactly_as_the_model()
    {
        var bytes = ModelExports.TokenizerGguf(models.Gpt2Path);
        var path = Path.Combine(Path.GetTempPath(), $"tok-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var vocabOnly = LlamaModel.LoadVocabularyOnly(path);
            Assert.Equal(models.Gpt2.Vocabulary.ContentHash, vocabOnly.Vocabulary.ContentHash);
            const string s = "Exported tokenizers must agree: 12,345 🦙 words\n\ttabs";
            Assert.Equal(models.Gpt2.Vocabulary.Tokenize(s, addSpecial: true), vocabOnly.Vocabulary.Tokenize(s, addSpecial: true));
            Assert.True(bytes.Length < new FileInfo(models.Gpt2Path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Token_embeddings_are_read_from_the_gguf()
    {
        var embeddings = ModelExports.TokenEmbeddings(models.SpmPath);
        Assert.Equal(models.Spm.EmbeddingLength, embeddings.Dimension);
        Assert.Equal(models.Spm.Vocabulary.Count, embeddings.Count);
    }
}
