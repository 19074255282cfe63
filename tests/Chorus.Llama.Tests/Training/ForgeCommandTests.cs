using System.Text.Json;
using Chorus.Llama.Tests.Cli;

namespace Chorus.Llama.Tests.Training;

public sealed class ForgeCommandTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "test-models", "forge-cli");

    [Fact]
    public async Task ForgeVocabAndAStepLimitedForgeTrainWriteLoadableModels()
    {
        var vocab = Path.Combine(Directory, "spm8k.gguf");
        var (code, output, error) = await CliRunner.RunAsync("forge", "vocab", "--from", "llama-spm", "--size", "8192", "--out", vocab, "--json");
        Assert.True(code == 0, error);
        Assert.Equal(8192, JsonDocument.Parse(output).RootElement.GetProperty("size").GetInt32());

        var corpus = Path.Combine(Directory, "corpus.txt");
        await File.WriteAllTextAsync(corpus, File.ReadAllText(Corpora.TrainSplit("linux"))[..60_000]);
        var model = Path.Combine(Directory, "tiny-q8_0.gguf");
        (code, output, error) = await CliRunner.RunAsync("forge", "train", "--vocab", vocab, "--layers", "1", "--embd", "64", "--heads", "4", "--ff", "128",
            "--corpus", corpus, "--steps", "12", "--minutes", "2", "--quantize", "q8_0", "--out", model, "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(12, json.RootElement.GetProperty("steps").GetInt32());
        Assert.False(File.Exists(model + ".init.tmp"));
        Assert.False(File.Exists(model + ".f32.tmp"));
        using var loaded = LlamaModel.Load(model);
        Assert.Contains("Q8_0", loaded.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgeTrainNeedsExactlyOneStartingPoint()
    {
        var (code, _, error) = await CliRunner.RunAsync("forge", "train", "--corpus", "x.txt", "--out", Path.Combine(Directory, "none.gguf"));
        Assert.Equal(1, code);
        Assert.Contains("--model", error, StringComparison.Ordinal);
    }
}
