using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;

namespace Chorus.Llama.Tests.Forge;

/// <summary>Forged models go through llama.cpp's real loader and produce useful (neither flat nor one-hot) distributions.</summary>
public sealed class SyntheticModelLoadTests
{
    public static TheoryData<string, SyntheticWeightType> VocabulariesAndTypes()
    {
        var data = new TheoryData<string, SyntheticWeightType>();
        foreach (var vocabulary in new[] { "llama-spm", "gpt-2" })
            foreach (var type in Enum.GetValues<SyntheticWeightType>())
                data.Add(vocabulary, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(VocabulariesAndTypes))]
    public void A_forged_model_loads_and_decodes(string vocabulary, SyntheticWeightType type)
    {
        var spec = ForgedTestModels.Small(vocabulary, type);
        using var model = LlamaModel.Load(ForgedTestModels.PathOf(spec));
        Assert.Equal(64, model.EmbeddingLength);
        Assert.Equal(2, model.LayerCount);
        Assert.Equal(4, model.HeadCount);
        Assert.Equal(256, model.TrainedContextLength);
        using var vocab = GgufFile.Open(VocabularyFiles.Resolve(vocabulary));
        Assert.Equal(vocab.Metadata["tokenizer.ggml.tokens"].Count, model.Vocabulary.Count);

        using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        var tokens = model.Vocabulary.Tokenize("The quick brown fox jumps over the lazy dog", addSpecial: true);
        using var batch = new LlamaBatch(tokens.Length);
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, wantLogits: i >= tokens.Length - 2);
        ctx.Decode(batch);
        var last = Stats(ctx.GetLogits(tokens.Length - 1));
        var previous = Stats(ctx.GetLogits(tokens.Length - 2));
        var logV = Math.Log(model.Vocabulary.Count);

        Assert.True(last.Entropy < logV - 1, $"entropy {last.Entropy:F2} vs log V {logV:F2}: the distribution is nearly flat");
        Assert.True(last.Entropy > 1, $"entropy {last.Entropy:F2}: the distribution is nearly one-hot");
        Assert.True(last.TopProbability < 0.5, $"top-1 probability {last.TopProbability:F3}");
        Assert.NotEqual(previous.TopToken, last.TopToken); // the context matters: different positions, different predictions
    }

    [Theory]
    [InlineData(0.16, 0.0, 0.1)]  // plain N(0, 0.02) output init at embd 64: nearly flat
    [InlineData(3.0, 3.0, 6.0)]   // the default: about σ²/2 = 4.5 nats below log V
    public void Logit_std_sets_how_far_below_log_vocab_the_entropy_is(double logitStd, double minGap, double maxGap)
    {
        var spec = ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32) with { LogitStd = logitStd };
        using var model = LlamaModel.Load(ForgedTestModels.PathOf(spec));
        using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        var tokens = model.Vocabulary.Tokenize("Once upon a time there was", addSpecial: true);
        using var batch = new LlamaBatch(tokens.Length);
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, wantLogits: true);
        ctx.Decode(batch);
        var logV = Math.Log(model.Vocabulary.Count);
        for (var row = 0; row < tokens.Length; row++)
            Assert.InRange(logV - Stats(ctx.GetLogits(row)).Entropy, minGap, maxGap);
    }

    [Fact]
    public void A_model_saved_by_llama_cpp_reads_back_with_the_same_tensors()
    {
        var source = ForgedTestModels.PathOf(ForgedTestModels.Small("gpt-2", SyntheticWeightType.Q8_0));
        var saved = Path.Combine(ForgedTestModels.Folder, "saved-by-llama-cpp.gguf");
        using (var model = LlamaModel.Load(source, new LlamaModelOptions { RepackWeights = false })) model.Save(saved);

        using var ours = GgufFile.Open(source);
        using var theirs = GgufFile.Open(saved);
        Assert.Equal("llama", theirs.Architecture);
        Assert.Equal(ours.Tensors.Select(t => t.Name).Order(), theirs.Tensors.Select(t => t.Name).Order());
        foreach (var t in ours.Tensors)
        {
            var other = theirs.GetTensor(t.Name);
            Assert.Equal(t.Type, other.Type);
            Assert.Equal(t.Dimensions, other.Dimensions);
            Assert.True(ours.ReadTensorData(t.Name).AsSpan().SequenceEqual(theirs.ReadTensorData(t.Name)), t.Name);
        }
        Assert.Equal(ours.Metadata["tokenizer.ggml.merges"], theirs.Metadata["tokenizer.ggml.merges"]);
    }

    [Fact]
    public void Saving_a_model_whose_weights_may_be_repacked_is_refused_naming_the_option()
    {
        // on a CPU with AMX llama.cpp moves Q8_0 weights into a buffer it cannot read back, and its save then crashes the process
        using var model = LlamaModel.Load(ForgedTestModels.PathOf(ForgedTestModels.Small("gpt-2", SyntheticWeightType.Q8_0)));
        var saved = Path.Combine(ForgedTestModels.Folder, "refused-save.gguf");
        var e = Assert.Throws<InvalidOperationException>(() => model.Save(saved));
        Assert.Contains("RepackWeights = false", e.Message);
        Assert.False(File.Exists(saved));
    }

    [Fact]
    public void A_grouped_query_attention_model_loads()
    {
        using var model = LlamaModel.Load(ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32, kvHeads: 1)));
        Assert.Equal(4, model.HeadCount);
        Assert.Equal(1, model.HeadCountKv);
        using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        using var batch = new LlamaBatch(1);
        batch.Add(model.Vocabulary.Bos, 0, 0, wantLogits: true);
        ctx.Decode(batch);
        Assert.All(ctx.GetLogits(0).ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_model_of_an_unknown_architecture_fails_to_load_naming_it()
    {
        var source = ForgedTestModels.PathOf(ForgedTestModels.Small("llama-spm", SyntheticWeightType.F32));
        var path = Path.Combine(ForgedTestModels.Folder, "nosucharch.gguf");
        using (var from = GgufFile.Open(source))
        {
            var metadata = from.Metadata.Select(e => e.Key == "general.architecture"
                ? new KeyValuePair<string, GgufValue>(e.Key, GgufValue.String("nosucharch"))
                : e);
            using var writer = GgufWriter.Create(path, metadata, from.Tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, t.Type)));
            foreach (var t in from.Tensors) writer.WriteTensorData(t.Name, from.ReadTensorData(t.Name));
            writer.Complete();
        }

        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("nosucharch", e.Reason);
        Assert.Equal(path, e.ModelPath);
    }

    private readonly record struct LogitStats(double Entropy, double TopProbability, int TopToken);

    private static LogitStats Stats(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        var top = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] > max) { max = logits[i]; top = i; }
        }
        double z = 0, weighted = 0;
        foreach (var l in logits)
        {
            var e = Math.Exp(l - max);
            z += e;
            weighted += e * (l - max);
        }
        // H = log Z − E[l − max], with Z the partition function relative to the max
        return new LogitStats(Math.Log(z) - weighted / z, 1 / z, top);
    }
}
