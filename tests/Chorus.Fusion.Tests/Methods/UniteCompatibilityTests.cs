using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

public class UniteCompatibilityTests
{
    private static readonly InMemoryVocabulary Spm = new(["▁the", "▁cat", "▁dog", "<0x0A>"]);
    private static readonly InMemoryVocabulary Gpt2 = new(["Ġthe", "Ġdog", "Ċ", "Ġbird"]);

    [Fact]
    public void Members_within_ten_points_of_the_best_are_ensembled_around_it()
    {
        var verdict = UniteCompatibility.Determine([
            new UniteCandidate("a", Spm, TaskScore: 62),
            new UniteCandidate("b", Gpt2, TaskScore: 70),
            new UniteCandidate("c", Spm, TaskScore: 60)]);
        Assert.Equal("b", verdict.BaseMember);
        Assert.Equal(["b", "a", "c"], verdict.Compatible);
        Assert.Empty(verdict.Excluded);
        Assert.True(verdict.CanEnsemble);
    }

    [Fact]
    public void A_member_more_than_ten_points_behind_is_excluded_with_the_reason()
    {
        var verdict = UniteCompatibility.Determine([
            new UniteCandidate("weak", Spm, TaskScore: 44.9),
            new UniteCandidate("strong", Gpt2, TaskScore: 55)]);
        Assert.Equal("strong", verdict.BaseMember);
        Assert.Equal(["strong"], verdict.Compatible);
        Assert.Contains("10 points", verdict.Excluded["weak"]);
        Assert.False(verdict.CanEnsemble);
        // exactly 10 points is still within the rule
        Assert.Empty(UniteCompatibility.Determine([new UniteCandidate("x", Spm, TaskScore: 45), new UniteCandidate("y", Spm, TaskScore: 55)]).Excluded);
    }

    [Fact]
    public void Mismatched_response_styles_are_excluded_and_missing_evidence_excludes_no_one()
    {
        var verdict = UniteCompatibility.Determine([
            new UniteCandidate("direct", Spm, TaskScore: 70, MeanResponseLength: 40),
            new UniteCandidate("analyses", Gpt2, TaskScore: 68, MeanResponseLength: 200),
            new UniteCandidate("unknown", Gpt2)]);
        Assert.Equal(["direct", "unknown"], verdict.Compatible);
        Assert.Contains("response", verdict.Excluded["analyses"]);
    }

    [Fact]
    public void Vocabulary_overlap_is_reported_on_normalised_pieces_but_never_excludes()
    {
        var verdict = UniteCompatibility.Determine([new UniteCandidate("spm", Spm), new UniteCandidate("gpt2", Gpt2)]);
        Assert.Equal("spm", verdict.BaseMember); // no scores: the first candidate
        Assert.Equal(1.0, verdict.VocabularyOverlap["spm"]);
        Assert.Equal(0.75, verdict.VocabularyOverlap["gpt2"]); // Ġthe, Ġdog, Ċ ↔ ▁the, ▁dog, <0x0A>; not Ġbird
        Assert.Equal(2, verdict.Compatible.Count);
        Assert.Throws<ArgumentException>(() => UniteCompatibility.Determine([new UniteCandidate("x", Spm), new UniteCandidate("x", Gpt2)]));
    }
}
