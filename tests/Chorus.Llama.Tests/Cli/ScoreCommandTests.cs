using System.Text.Json;

namespace Chorus.Llama.Tests.Cli;

[Collection(SyntheticModelCollection.Name)]
public sealed class ScoreCommandTests(SyntheticModelFixture models)
{
    private const string Text = "Chorus scores this sentence with a synthetic model. It has two sentences, and some punctuation!";

    [Fact]
    public async Task Score_perplexity_equals_exp_of_mean_nll_recomputed_from_step_logits()
    {
        var (code, output, error) = await CliRunner.RunAsync("score", "--model", models.SpmPath, "--text", Text, "--json", "--ctx", "256");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var perplexity = json.RootElement.GetProperty("perplexity").GetDouble();
        var tokens = json.RootElement.GetProperty("tokens").GetInt32();

        // independent recomputation: one token at a time, log-softmax of each step's full logits
        var ids = models.Spm.Vocabulary.Tokenize(Text, addSpecial: true);
        Assert.Equal(ids.Length, tokens);
        using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 256 });
        var seq = runner.Open();
        var dist = runner.Append(seq, ids[..1], DistributionRequest.Full);
        double nll = 0;
        for (var i = 1; i < ids.Length; i++)
        {
            var logits = dist.Logits;
            var max = logits.ToArray().Max();
            var lse = max + Math.Log(logits.ToArray().Sum(z => Math.Exp(z - max)));
            nll -= logits[ids[i]] - lse;
            dist = runner.Append(seq, ids.AsSpan(i, 1), DistributionRequest.Full);
        }
        var expected = Math.Exp(nll / (ids.Length - 1));
        Assert.Equal(expected, perplexity, expected * 1e-3);
        // bits per byte: the scored tokens' NLL in bits over the text's UTF-8 bytes (BOS, the unscored first token, has none)
        var bytes = System.Text.Encoding.UTF8.GetByteCount(Text);
        Assert.Equal(bytes, json.RootElement.GetProperty("bytes").GetInt64());
        var expectedBitsPerByte = nll / Math.Log(2) / bytes;
        Assert.Equal(expectedBitsPerByte, json.RootElement.GetProperty("bitsPerByte").GetDouble(), expectedBitsPerByte * 1e-3);
    }

    [Theory]
    [InlineData("spm")]
    [InlineData("gpt2")]
    public async Task Score_runs_end_to_end_for_both_tokenizer_families(string which)
    {
        var path = which == "spm" ? models.SpmPath : models.Gpt2Path;
        var (code, output, error) = await CliRunner.RunAsync("score", "--model", path, "--text", Text);
        Assert.True(code == 0, error);
        Assert.Contains("perplexity:", output);
        var line = output.Split('\n').First(l => l.StartsWith("perplexity:", StringComparison.Ordinal));
        var value = double.Parse(line["perplexity:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(value) && value > 1.0, $"perplexity {value}");
    }

    [Fact]
    public async Task A_text_longer_than_the_context_is_scored_in_strided_windows()
    {
        var longText = string.Concat(Enumerable.Repeat(Text + " ", 30));
        var (code, output, error) = await CliRunner.RunAsync("score", "--model", models.SpmPath, "--text", longText, "--json", "--ctx", "256");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("tokens").GetInt32() > 256);
        Assert.Equal(json.RootElement.GetProperty("tokens").GetInt32() - 1, json.RootElement.GetProperty("scored").GetInt32());
    }

    [Fact]
    public async Task Bad_inputs_print_an_error_and_exit_1()
    {
        var missing = await CliRunner.RunAsync("score", "--model", "/nonexistent/model.gguf", "--text", Text);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: cannot load model '/nonexistent/model.gguf': file not found", missing.Error);

        var empty = await CliRunner.RunAsync("score", "--model", models.SpmPath, "--text", "");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("too short to score", empty.Error);
    }

    [Fact]
    public async Task Tokenize_prints_ids_and_pieces()
    {
        var (code, output, error) = await CliRunner.RunAsync("tokenize", "--model", "llama-spm", "--json", "--pieces", "Hello world");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var ids = json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal([15043, 3186], ids); // llama.cpp's own test vector for "Hello world" in llama-spm
        Assert.Equal(" world", json.RootElement.GetProperty("tokens")[1].GetProperty("piece").GetString());
    }

    [Fact]
    public async Task Forge_synthetic_writes_a_model_that_scores()
    {
        var dir = Directory.CreateTempSubdirectory("chorus-forge-cli-").FullName;
        try
        {
            var path = Path.Combine(dir, "m.gguf");
            var forge = await CliRunner.RunAsync("forge", "synthetic", "--vocab", "gpt-2", "--layers", "1", "--embd", "32", "--heads", "2",
                "--ff", "64", "--ctx", "256", "--type", "q8_0", "--seed", "5", "--out", path, "--json");
            Assert.True(forge.ExitCode == 0, forge.Error);
            using var json = JsonDocument.Parse(forge.Output);
            Assert.Equal(50257, json.RootElement.GetProperty("vocabulary").GetInt32());
            var score = await CliRunner.RunAsync("score", "--model", path, "--text", Text, "--json");
            Assert.True(score.ExitCode == 0, score.Error);

            var bad = await CliRunner.RunAsync("forge", "synthetic", "--embd", "30", "--heads", "4", "--out", Path.Combine(dir, "bad.gguf"));
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("not divisible by 4 heads", bad.Error);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
