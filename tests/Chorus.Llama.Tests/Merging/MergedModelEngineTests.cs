using Chorus.Fusion;
using Chorus.Llama.Forge;
using Chorus.Llama.Merging;
using Chorus.Llama.Tests.Cli;
using Chorus.Llama.Tests.Gguf;

namespace Chorus.Llama.Tests.Merging;

/// <summary>A merged GGUF goes through llama.cpp's real loading path and generates.</summary>
public sealed class MergedModelEngineTests
{
    private static float[] NextLogits(string path, int[]? tokens = null)
    {
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = 128, MaxSequences = 1, Threads = 2, FullPrecisionCache = true });
        var sequence = runner.Open();
        var prompt = tokens ?? model.Vocabulary.Tokenize("The king said to the", addSpecial: true);
        return runner.Prefill(sequence, prompt, DistributionRequest.Full).Next.Logits.ToArray();
    }

    [Fact]
    public void ALinearMergeOfAModelWithItselfGivesItsLogits()
    {
        using var dir = new TempDirectory();
        var a = MergeTestModels.Path(301);
        var merged = ModelMerger.Merge(new MergeRequest(MergeMethod.Linear, [a, a], dir.File("self.gguf")) { Type = SyntheticWeightType.F32 });
        var expected = NextLogits(a);
        var actual = NextLogits(merged.Path);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public async Task AQ8MergeLoadsAndGeneratesThroughTheCommandLine()
    {
        using var dir = new TempDirectory();
        var a = MergeTestModels.Path(301);
        var b = MergeTestModels.Path(302);
        var output = dir.File("merged-q8.gguf");
        var (code, stdout, error) = await CliRunner.RunAsync("merge", "--method", "slerp", "-m", a, "-m", b, "--type", "q8_0", "--out", output);
        Assert.True(code == 0, error);
        Assert.Contains("slerp merge of 2 models", stdout);
        Assert.Contains("merging 21/21 tensors", error); // progress
        var parentA = NextLogits(a);
        var merged = NextLogits(output);
        Assert.All(merged, x => Assert.True(float.IsFinite(x)));
        Assert.True(merged.Zip(parentA).Max(p => Math.Abs(p.First - p.Second)) > 0.1, "the merge is not its first parent");
        var generated = Generate(output, "Once upon a time", 8);
        Assert.Equal(8, generated.Length);
    }

    /// <summary>Greedy decoding through the engine, token by token.</summary>
    private static int[] Generate(string path, string prompt, int count)
    {
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = 128, MaxSequences = 1, Threads = 2 });
        var sequence = runner.Open();
        var next = runner.Prefill(sequence, model.Vocabulary.Tokenize(prompt, addSpecial: true), DistributionRequest.Full).Next;
        var tokens = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var logits = next.Logits;
            var best = 0;
            for (var t = 1; t < logits.Length; t++) if (logits[t] > logits[best]) best = t;
            Assert.True(float.IsFinite(logits[best]));
            tokens.Add(best);
            next = runner.Append(sequence, [best], DistributionRequest.Full);
        }
        return [.. tokens];
    }

    [Fact]
    public async Task TheCommandLineReportsAMismatchAsAnError()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = await CliRunner.RunAsync("merge", "--method", "linear", "-m", MergeTestModels.Path(301), "-m", MergeTestModels.Path(303, embedding: 128), "--out", dir.File("x.gguf"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot merge: hyper-parameter 'llama.embedding_length'", error.Trim());
    }
}
