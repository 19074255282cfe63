using Chorus.Llama.Forge;

namespace Chorus.Llama.Tests.Forge;

public sealed class SyntheticModelSpecTests
{
    [Fact]
    public void The_default_spec_is_valid()
    {
        var spec = new SyntheticModelSpec();
        Assert.Empty(spec.Problems());
        Assert.Equal(16, spec.HeadDimension);
    }

    [Theory]
    [InlineData(64, 5, 5, 128, SyntheticWeightType.F32, "embedding length 64 is not divisible by 5 heads")]
    [InlineData(64, 4, 3, 128, SyntheticWeightType.F32, "4 heads are not divisible by 3 KV heads")]
    [InlineData(48, 4, 4, 128, SyntheticWeightType.Q8_0, "embedding length 48 is not a multiple of 32")]
    [InlineData(64, 4, 4, 100, SyntheticWeightType.Q8_0, "feed-forward length 100 is not a multiple of 32")]
    [InlineData(0, 4, 4, 128, SyntheticWeightType.F32, "embedding length must be positive, not 0")]
    [InlineData(64, 4, 4, -1, SyntheticWeightType.F32, "feed-forward length must be positive, not -1")]
    [InlineData(60, 4, 4, 128, SyntheticWeightType.F32, "head dimension 15")]
    public void Invalid_shapes_are_explained(int embd, int heads, int kvHeads, int ff, SyntheticWeightType type, string expected)
    {
        var spec = new SyntheticModelSpec(Embedding: embd, Heads: heads, KvHeads: kvHeads, FeedForward: ff, Type: type);
        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var spec = new SyntheticModelSpec(Layers: 0, ContextLength: 0, Type: SyntheticWeightType.Q8_0, Embedding: 48, Heads: 4, KvHeads: 4, FeedForward: 40);
        Assert.Equal(4, spec.Problems().Count);
    }

    [Fact]
    public void A_forge_with_an_invalid_spec_writes_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chorus-invalid-{Guid.NewGuid():N}.gguf");
        Assert.Throws<ArgumentException>(() => SyntheticModelForge.Write(new SyntheticModelSpec(Heads: 3), path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void An_unknown_vocabulary_lists_the_available_ones()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chorus-novocab-{Guid.NewGuid():N}.gguf");
        var e = Assert.Throws<FileNotFoundException>(() => SyntheticModelForge.Write(new SyntheticModelSpec("no-such-vocab"), path));
        Assert.Contains("llama-spm", e.Message);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("f32", SyntheticWeightType.F32)]
    [InlineData("F16", SyntheticWeightType.F16)]
    [InlineData("q8_0", SyntheticWeightType.Q8_0)]
    public void Weight_types_parse_from_their_cli_names(string text, SyntheticWeightType expected)
    {
        Assert.Equal(expected, SyntheticWeightTypes.Parse(text));
        Assert.Equal(text.ToLowerInvariant(), expected.ToText());
    }

    [Fact]
    public void An_unknown_weight_type_names_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticWeightTypes.Parse("q4_k"));
        Assert.Contains("f32, f16 or q8_0", e.Message);
    }
}
