using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Llama.Tests.Engine;

/// <summary>
/// Speculative verification on the real engine: one edit that appends k drafted tokens reads the same k rows as k
/// single-token steps, and rolling back rejected drafts (keep = n) leaves the cache exactly as a fresh decode would.
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class VerificationRowsTests(SyntheticModelFixture models)
{
    private const float Tolerance = 2e-3f;

    private ModelRunner NewRunner(LlamaModel model, int batch = 512) =>
        new(model, new LlamaContextOptions { ContextSize = 256, MaxSequences = 3, BatchSize = batch, Threads = 2, FullPrecisionCache = true });

    [Theory]
    [InlineData(512)]
    [InlineData(3)] // rows that span several decodes
    public void All_rows_of_one_edit_equal_single_token_steps(int batch)
    {
        using var runner = NewRunner(models.Spm, batch);
        var prompt = models.Spm.Vocabulary.Tokenize("The quick brown fox", addSpecial: true);
        var drafts = models.Spm.Vocabulary.Tokenize(" jumps over the lazy dog");
        var stepped = runner.Open();
        runner.Prefill(stepped, prompt, DistributionRequest.Full);
        var expected = drafts.Select(t => runner.Append(stepped, [t], DistributionRequest.Full).Logits.ToArray()).ToList();

        var verified = runner.Open();
        runner.Prefill(verified, prompt, DistributionRequest.Full);
        var result = runner.Apply([new SequenceEdit(verified, verified.Length, drafts, DistributionRequest.Full) { AllRows = true }])[0];
        Assert.NotNull(result.Rows);
        Assert.Equal(drafts.Length, result.Rows!.Length);
        for (var i = 0; i < drafts.Length; i++) AssertClose(expected[i], result.Rows[i].Logits);
        Assert.Same(result.Next, result.Rows[^1]);
        Assert.Equal(stepped.Tokens, verified.Tokens);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void Rolling_back_rejected_drafts_equals_a_fresh_decode(int accepted)
    {
        using var runner = NewRunner(models.Spm);
        var prompt = models.Spm.Vocabulary.Tokenize("Once upon a time", addSpecial: true);
        var drafts = models.Spm.Vocabulary.Tokenize(" there was a small cat who");
        var correction = models.Spm.Vocabulary.Tokenize(" dog")[0];

        var speculative = runner.Open();
        runner.Prefill(speculative, prompt, DistributionRequest.Top(16));
        runner.Apply([new SequenceEdit(speculative, speculative.Length, drafts, DistributionRequest.Top(16)) { AllRows = true }]);
        // the round keeps the prompt and the accepted drafts, drops the rest, and appends the fused correction
        var keep = prompt.Length + accepted;
        var after = runner.Apply([new SequenceEdit(speculative, keep, [correction, drafts[0]], DistributionRequest.Full) { AllRows = true }])[0];

        var fresh = runner.Open();
        var expectedTokens = prompt.Concat(drafts.Take(accepted)).Append(correction).Append(drafts[0]).ToArray();
        var direct = runner.Prefill(fresh, expectedTokens, DistributionRequest.Full);
        Assert.Equal(expectedTokens, speculative.Tokens);
        AssertClose(direct.Next.Logits.ToArray(), after.Next.Logits);
        // the row after the correction equals the fresh decode's log-prob of the next token
        var lp = after.Rows![0].Logits[drafts[0]] - after.Rows[0].LogSumExp;
        Assert.InRange(lp - direct.TokenLogProbs[^1], -Tolerance, Tolerance);
    }

    [Fact]
    public void Draft_sync_rows_equal_separate_syncs_to_each_prefix()
    {
        // a member of another vocabulary: rows for each drafted text prefix equal a plain sync to exactly that prefix
        using var runner = NewRunner(models.Gpt2);
        const string agreed = "The weather today is";
        string[] pieces = [" quite", " warm", " and", " sunny"];
        var texts = new List<string> { agreed };
        foreach (var p in pieces) texts.Add(texts[^1] + p);

        var plain = new TextSequence(runner, runner.Open());
        plain.Prefill(agreed, DistributionRequest.Full);
        var expected = new List<float[]>();
        foreach (var t in texts.Skip(1)) expected.Add(plain.Sync(t, DistributionRequest.Full).Next.Logits.ToArray());

        var draft = new TextSequence(runner, runner.Open());
        draft.Prefill(agreed + " cold", DistributionRequest.Full); // holds a rejected draft that must be rolled back
        var (edit, rows) = DraftSync.Plan(draft, texts[^1], texts.Select(t => t.Length).ToArray(), DistributionRequest.Full);
        var result = runner.Apply([edit.Edit])[0];
        draft.Commit(edit);
        Assert.Equal(texts.Count, rows.Length);
        Assert.All(rows, r => Assert.True(r >= 0, "every prefix ends on a token boundary here"));
        for (var j = 1; j < texts.Count; j++) AssertClose(expected[j - 1], result.Rows![rows[j]].Logits);
        Assert.Equal(plain.Sequence.Tokens, draft.Sequence.Tokens);
        Assert.Equal(texts[^1], draft.Text);
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= Tolerance, $"max |Δlogit| = {worst}");
    }
}
