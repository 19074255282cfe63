using Chorus.Llama.Merging;
using Chorus.Llama.Tests.Gguf;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Models that cannot be merged are refused with an error naming the difference and the files; no output is left behind.</summary>
public sealed class MergeCompatibilityTests
{
    private static string Refused(MergeRequest request)
    {
        using var dir = new TempDirectory();
        var output = dir.File("out.gguf");
        var e = Assert.Throws<ArgumentException>(() => ModelMerger.Merge(request with { OutputPath = output }));
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(dir.Path));
        return e.Message;
    }

    [Fact]
    public void DifferentShapesNameTheTensorAndBothFiles()
    {
        var a = MergeTestModels.Path(201);
        var wide = MergeTestModels.Path(202, embedding: 128);
        var message = Refused(new MergeRequest(MergeMethod.Linear, [a, wide], ""));
        // the embedding length is a hyper-parameter, checked before the shapes it implies
        Assert.Contains("llama.embedding_length", message);
        Assert.Contains(Path.GetFileName(a), message);
        Assert.Contains(Path.GetFileName(wide), message);
    }

    [Fact]
    public void DifferentHeadCountsAreRefusedThoughEveryShapeMatches()
    {
        var message = Refused(new MergeRequest(MergeMethod.Linear, [MergeTestModels.Path(201), MergeTestModels.Path(203, heads: 8)], ""));
        Assert.Contains("llama.attention.head_count", message);
        Assert.Contains("is 4 in", message);
        Assert.Contains("but 8 in", message);
    }

    [Fact]
    public void DifferentVocabulariesOfOneSizeAreRefused()
    {
        var message = Refused(new MergeRequest(MergeMethod.Linear, [MergeTestModels.Path(201), MergeTestModels.Path(204, vocabulary: "gpt2-8k")], ""));
        Assert.Contains("vocabularies differ: token", message);
    }

    [Fact]
    public void MethodsCheckTheirArguments()
    {
        var a = MergeTestModels.Path(201);
        var b = MergeTestModels.Path(205);
        Assert.Contains("give --base", Refused(new MergeRequest(MergeMethod.Ties, [a, b], "")));
        Assert.Contains("does not use a base", Refused(new MergeRequest(MergeMethod.Linear, [a, b], "") { BaseModel = a }));
        Assert.Contains("exactly two models", Refused(new MergeRequest(MergeMethod.Slerp, [a, b, a], "")));
        Assert.Contains("3 weights for 2 models", Refused(new MergeRequest(MergeMethod.Linear, [a, b], "") { Weights = [1, 2, 3] }));
        Assert.Contains("density must be in (0, 1]", Refused(new MergeRequest(MergeMethod.Dare, [a, b], "") { BaseModel = a, Density = 0 }));
        Assert.Throws<ArgumentException>(() => MergeMethods.Parse("average"));
    }
}
