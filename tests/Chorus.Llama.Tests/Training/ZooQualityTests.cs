using Chorus.Llama.Training;

namespace Chorus.Llama.Tests.Training;

/// <summary>The committed zoo (models/zoo, built by models/build.sh): it loads, and each expert knows its own domain best.</summary>
public sealed class ZooQualityTests
{
    private static readonly string Zoo = Corpora.Zoo;

    [Fact]
    public void EveryZooModelLoadsWithItsVocabularyAndShape()
    {
        var files = Directory.GetFiles(Zoo, "*.gguf").Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToArray();
        Assert.Equal<string>(["general-large", "general-small", "linux-expert", "shakespeare-expert", "shakespeare-small-expert", "wiki-expert", "wiki-expert-gpt2"], files);
        foreach (var name in files)
        {
            using var model = LlamaModel.Load(Path.Combine(Zoo, name + ".gguf"), new LlamaModelOptions { GpuLayers = 0 });
            Assert.Equal(8192, model.Vocabulary.Count);
            Assert.Equal(256, model.TrainedContextLength);
            Assert.Contains("Q8_0", model.Description, StringComparison.Ordinal);
        }
        Assert.True(Directory.GetFiles(Zoo, "*.gguf").Sum(f => new FileInfo(f).Length) < 20_000_000, "the zoo stays under 20 MB");
    }

    [Fact]
    public void EachExpertIsBestOnItsOwnDomainsTestSplit()
    {
        var losses = new double[3, 3]; // [expert, domain]
        for (var e = 0; e < 3; e++)
        {
            using var model = LlamaModel.Load(Path.Combine(Zoo, $"{Corpora.Domains[e]}-expert.gguf"), new LlamaModelOptions { UseMemoryMap = false, GpuLayers = 0 });
            for (var d = 0; d < 3; d++)
            {
                var text = File.ReadAllText(Corpora.TestSplit(Corpora.Domains[d]));
                var tokens = model.Vocabulary.Tokenize(text[..Math.Min(text.Length, 60_000)]);
                losses[e, d] = ModelTrainer.HeldOutLoss(model, tokens, 256, 6);
            }
        }
        for (var d = 0; d < 3; d++)
        {
            for (var e = 0; e < 3; e++)
            {
                if (e == d) continue;
                // a real margin: at least 2× lower perplexity than any other expert on its own domain
                Assert.True(losses[d, d] + Math.Log(2) < losses[e, d],
                    $"{Corpora.Domains[d]} expert: loss {losses[d, d]:F2} on {Corpora.Domains[d]}, but the {Corpora.Domains[e]} expert has {losses[e, d]:F2}");
            }
            Assert.True(Math.Exp(losses[d, d]) < 400, $"{Corpora.Domains[d]} expert's test perplexity {Math.Exp(losses[d, d]):F0} is not that of a trained model");
        }
    }
}
