using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class PlacementTests(ClusterFixture fixture)
{
    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    [InlineData("c")]
    [InlineData("g")]
    public async Task Every_model_grain_activates_on_the_silo_that_serves_it(string model)
    {
        var facts = await fixture.Client.GetGrain<IModelGrain>(model).Describe();
        Assert.Equal(fixture.SiloOf(model), facts.Silo);
        Assert.Equal(model, facts.Id);
        Assert.Equal(model == "g" ? 50257 : 32000, facts.VocabularySize);
    }

    [Fact]
    public async Task A_model_no_silo_serves_fails_at_once_with_Unavailable()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ChorusException>(() =>
            Requests.Collect(fixture.Client, new GenerationRequest(new MemberSelection("haunted", []), "uniform", [], "hello", new SamplingSpec(), 4)));
        Assert.Equal(ChorusErrorKind.Unavailable, e.Kind);
        Assert.Contains("'ghost' is not served by any live silo", e.Message);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task A_model_grain_for_an_unserved_id_is_refused_by_placement()
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => fixture.Client.GetGrain<IModelGrain>("ghost").Describe());
        Assert.Equal(ChorusErrorKind.Unavailable, e.Kind);
    }

    [Fact]
    public async Task An_unknown_model_gives_NotFound()
    {
        var e = await Assert.ThrowsAsync<ChorusException>(() => Requests.Collect(fixture.Client, Requests.Greedy("hello", 4, "uniform", "a", "nosuchmodel")));
        Assert.Equal(ChorusErrorKind.NotFound, e.Kind);
        Assert.Contains("unknown model 'nosuchmodel'", e.Message);
    }

    [Fact]
    public async Task An_unknown_pack_or_method_gives_a_clear_error()
    {
        var pack = await Assert.ThrowsAsync<ChorusException>(() =>
            Requests.Collect(fixture.Client, new GenerationRequest(new MemberSelection("nopack", []), null, [], "hi", new SamplingSpec(), 2)));
        Assert.Equal(ChorusErrorKind.NotFound, pack.Kind);
        var method = await Assert.ThrowsAsync<ChorusException>(() => Requests.Collect(fixture.Client, Requests.Greedy("hi", 2, "nosuchmethod", "a", "b")));
        Assert.Equal(ChorusErrorKind.InvalidArgument, method.Kind);
        Assert.Contains("unknown fusion method 'nosuchmethod'", method.Message);
    }
}
