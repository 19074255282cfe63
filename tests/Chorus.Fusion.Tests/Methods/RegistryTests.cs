using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

public class RegistryTests
{
    [Fact]
    public void Every_listed_name_creates_its_method()
    {
        foreach (var name in FusionMethods.Names) Assert.Equal(name, FusionMethods.Create(name).Name);
    }

    [Fact]
    public void Unknown_method_names_the_known_ones()
    {
        var e = Assert.Throws<FusionParameterException>(() => FusionMethods.Create("foo"));
        Assert.Contains("unknown fusion method 'foo'", e.Message);
        Assert.Contains("single, uniform", e.Message);
    }

    [Theory]
    [InlineData("packllm-sim", "temperature", "-1", "must be")]
    [InlineData("packllm-sim", "temperature", "0", "> 0")]
    [InlineData("uniform", "weights", "0.5,NaN", "non-negative numbers")]
    [InlineData("uniform", "weights", "0.5,0.6", "must sum to 1")]
    [InlineData("uniform", "weights", "-0.5,1.5", "non-negative")]
    [InlineData("uniform", "wieghts", "0.5,0.5", "unknown parameter 'wieghts'")]
    [InlineData("dlf", "alpha-max", "abc", "must be a number")]
    [InlineData("mixture", "router", "dice", "must be one of")]
    [InlineData("gated", "inner", "gated", "cannot gate itself")]
    [InlineData("gated", "inner", "nope", "unknown fusion method 'nope'")]
    [InlineData("unite", "top-k", "-3", "between 0")]
    public void Invalid_parameters_are_rejected_with_the_fix(string method, string key, string value, string fragment)
    {
        var e = Assert.Throws<FusionParameterException>(() => FusionMethods.Create(method, TestData.P((key, value))));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Gated_forwards_inner_parameters_and_still_rejects_unknown_ones()
    {
        var gated = Assert.IsType<GatedMethod>(FusionMethods.Create("gated", TestData.P(("inner", "packllm-sim"), ("temperature", "2"))));
        Assert.Equal("packllm-sim", gated.Inner.Name);
        Assert.Throws<FusionParameterException>(() => FusionMethods.Create("gated", TestData.P(("inner", "uniform"), ("temperature", "2"))));
    }

    [Fact]
    public void Requirements_say_what_members_must_send()
    {
        Assert.True(FusionMethods.Create("dlf").Requirements.NeedsFullLogits);
        Assert.False(FusionMethods.Create("dlf").Requirements.AllowsDifferentVocabularies);
        Assert.Equal(FusionMethods.EnsembleTopK, FusionMethods.Create("uniform").Requirements.TopK);
        Assert.Equal(64, FusionMethods.Create("uniform", TestData.P(("top-k", "64"))).Requirements.TopK);
        Assert.True(FusionMethods.Create("deepen").Requirements.NeedsEmbeddings);
        Assert.True(FusionMethods.Create("packllm-opt").Requirements.NeedsPromptDistributions);
        Assert.Equal(VocabularyAlignment.StringUnion, FusionMethods.Create("unite").Requirements.Alignment);
    }

    [Fact]
    public void Missing_roles_are_named()
    {
        var v = TestData.Vocabulary(5);
        var members = new[] { TestData.Member(v, MemberRole.Main), TestData.Member(v, MemberRole.Expert) };
        var e = Assert.Throws<FusionPackException>(() => TestData.Prepare("proxy-tuning", members));
        Assert.Contains("'base'", e.Message);
        e = Assert.Throws<FusionPackException>(() => TestData.Prepare("dlf", members));
        Assert.Contains("'base'", e.Message);
        e = Assert.Throws<FusionPackException>(() => TestData.Prepare("packllm-sim", members));
        Assert.Contains("prompt", e.Message);
        e = Assert.Throws<FusionPackException>(() => TestData.Prepare("deepen", members));
        Assert.Contains("embedding", e.Message);
    }

    [Fact]
    public void Two_mains_and_mismatched_vocabularies_are_rejected()
    {
        var v = TestData.Vocabulary(5);
        var w = TestData.Vocabulary(6, "u");
        Assert.Throws<FusionPackException>(() => TestData.Prepare("uniform", [TestData.Member(v, MemberRole.Main), TestData.Member(v, MemberRole.Main)]));
        var e = Assert.Throws<FusionPackException>(() => TestData.Prepare("proxy-tuning",
            [TestData.Member(v, MemberRole.Main), TestData.Member(w, MemberRole.Expert), TestData.Member(v, MemberRole.Base)]));
        Assert.Contains("one vocabulary", e.Message);
    }

    [Fact]
    public void Fuse_rejects_wrong_member_count_and_top_k_when_full_logits_are_required()
    {
        var v = TestData.Vocabulary(5);
        var session = TestData.Prepare("proxy-tuning", [TestData.Member(v, MemberRole.Main), TestData.Member(v, MemberRole.Expert), TestData.Member(v, MemberRole.Base)]);
        var d = TestData.Full(1, 2, 3, 4, 5);
        Assert.Throws<ArgumentException>(() => session.Fuse([d, d]));
        var e = Assert.Throws<ArgumentException>(() => session.Fuse([d, d, d.ToTopK(2)]));
        Assert.Contains("full logits", e.Message);
    }
}
