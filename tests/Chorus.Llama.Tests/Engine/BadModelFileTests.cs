namespace Chorus.Llama.Tests.Engine;

/// <summary>Bad model files give a specific <see cref="ModelLoadException"/> and leave the process able to load the next model.</summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class BadModelFileTests(SyntheticModelFixture models) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-bad-").FullName;

    [Fact]
    public void Missing_file()
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(Path.Combine(_dir, "nope.gguf")));
        Assert.Contains("file not found", e.Message);
        StillWorks();
    }

    [Fact]
    public void Directory_instead_of_file()
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(_dir));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void Random_bytes()
    {
        var path = Path.Combine(_dir, "random.gguf");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("not a GGUF file", e.Message);
        StillWorks();
    }

    [Fact]
    public void Empty_file()
    {
        var path = Path.Combine(_dir, "empty.gguf");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("too short", e.Message);
    }

    [Theory]
    [InlineData(0.01)]   // inside the metadata
    [InlineData(0.5)]    // inside the tensor data
    [InlineData(0.999)]  // the last bytes of the last tensor
    public void Truncated_gguf(double keep)
    {
        var bytes = File.ReadAllBytes(models.SpmPath);
        var path = Path.Combine(_dir, $"truncated-{keep}.gguf");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Equal(path, e.ModelPath);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        Assert.DoesNotContain("no reason logged", e.Reason);
        StillWorks();
    }

    [Fact]
    public void A_vocabulary_only_model_cannot_run()
    {
        using var vocabOnly = LlamaModel.LoadVocabularyOnly(models.SpmPath);
        Assert.True(vocabOnly.Vocabulary.Count > 30000);
        var e = Assert.Throws<InvalidOperationException>(() => vocabOnly.CreateContext());
        Assert.Contains("vocabulary-only", e.Message);
    }

    [Fact]
    public void Invalid_unicode_text_is_rejected_before_tokenizing()
    {
        var e = Assert.Throws<ArgumentException>(() => models.Spm.Vocabulary.Tokenize("bad \ud800 surrogate"));
        Assert.Contains("not valid Unicode", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => models.Spm.Vocabulary.TokenizeUtf8([0x66, 0xC3, 0x28]));
        Assert.Contains("not valid UTF-8", e2.Message);
    }

    private void StillWorks()
    {
        using var model = LlamaModel.Load(models.SpmPath);
        using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        using var batch = new LlamaBatch(8);
        batch.Add(1, 0, 0, wantLogits: true);
        ctx.Decode(batch);
        Assert.True(float.IsFinite(ctx.GetLogits(0)[0]));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
