using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Methods;

public class UniteTests
{
    private static readonly InMemoryVocabulary Spm = new(["▁the", "▁cat", "▁dog", "<0x0A>", "bi", "rd", "▁"]);
    private static readonly InMemoryVocabulary Gpt2 = new(["Ġthe", "Ġdog", "Ċ", "Ġcat", "Ġbird", "s"]);

    [Fact]
    public void Unites_top_k_pieces_across_vocabularies_and_averages_their_softmaxes()
    {
        double[] a = [3, 2, 0, 1, 0.5, -1, -2];
        double[] b = [0, 3, 2.5, 1, 2.8, -1];
        // Top-3: spm {▁the, ▁cat, <0x0A>}, gpt-2 {Ġdog, Ġbird, Ċ}. Union (normalised): Ġthe, Ġcat, \n, Ġdog, Ġbird.
        // spm scores them 3, 2, 1, 0 (▁dog), 0.5 ("Ġbird" is not an spm piece: " bird" → [▁, bi, rd] → skip ▁ → bi).
        // gpt-2 scores them 0, 1, 2.5, 3, 2.8.
        var pa = TestData.Softmax([3.0, 2, 1, 0, 0.5]);
        var pb = TestData.Softmax([0.0, 1, 2.5, 3, 2.8]);
        var avg = pa.Select((p, i) => (p + pb[i]) / 2).ToArray();
        var expected = new double[7];
        int[] mainIds = [0, 1, 3, 2, 4];
        for (var u = 0; u < 5; u++) expected[mainIds[u]] += avg[u];

        var session = TestData.Prepare("unite", [new FusionMember("spm", Spm, MemberRole.Main), new FusionMember("gpt2", Gpt2)],
            parameters: TestData.P(("union-k", "3")));
        var step = session.Fuse([TestData.Full(a), TestData.Full(b)]);
        TestData.Close(expected, step.LogProbs);
        Assert.True(float.IsNegativeInfinity(step.LogProbs[5]), "tokens outside the union are ruled out");
    }

    [Fact]
    public void Main_can_be_the_byte_level_member()
    {
        double[] a = [3, 2, 0, 1, 0.5, -1, -2];
        double[] b = [0, 3, 2.5, 1, 2.8, -1];
        var session = TestData.Prepare("unite", [new FusionMember("spm", Spm), new FusionMember("gpt2", Gpt2, MemberRole.Main)],
            parameters: TestData.P(("union-k", "3")));
        var step = session.Fuse([TestData.Full(a), TestData.Full(b)]);
        Assert.Equal(6, step.LogProbs.Length);
        Assert.Equal(1.0, TestData.Probabilities(step.LogProbs).Sum(), 4);
        Assert.True(float.IsNegativeInfinity(step.LogProbs[5]));
    }

    [Fact]
    public void A_floor_mixes_in_the_main_member_so_every_token_keeps_some_probability()
    {
        double[] a = [3, 2, 0, 1, 0.5, -1, -2];
        double[] b = [0, 3, 2.5, 1, 2.8, -1];
        const double floor = 0.05;
        var members = new[] { new FusionMember("spm", Spm, MemberRole.Main), new FusionMember("gpt2", Gpt2) };
        var plain = TestData.Prepare("unite", members, parameters: TestData.P(("union-k", "3"))).Fuse([TestData.Full(a), TestData.Full(b)]);
        var union = TestData.Probabilities(plain.LogProbs).ToArray();
        var main = TestData.Softmax(a);
        var expected = union.Select((p, t) => (1 - floor) * p + floor * main[t]).ToArray();

        var floored = TestData.Prepare("unite", members, parameters: TestData.P(("union-k", "3"), ("floor", "0.05"))).Fuse([TestData.Full(a), TestData.Full(b)]);
        TestData.Close(expected, floored.LogProbs);
        Assert.True(float.IsFinite(floored.LogProbs[5]), "a token outside the union now has a probability");
        Assert.Equal(plain.ArgMax(), floored.ArgMax());
        Assert.Throws<FusionParameterException>(() => FusionMethods.Create("unite", TestData.P(("floor", "0.9"))));
    }

    [Fact]
    public void Pieces_that_resolve_to_one_main_id_take_the_max_probability_not_the_sum()
    {
        // Main spm: top-2 {▁the 3, bi 2.5}. Member: top-2 {Ġbird 3, Ġdog 2}. Union: Ġthe, bi, Ġbird, Ġdog.
        // "Ġbird" is not an spm piece: " bird" → [▁, bi, rd] → bi, so "bi" and "Ġbird" both land on spm id 4.
        var member = new InMemoryVocabulary(["Ġthe", "Ġdog", "Ġbird", "bi"]);
        double[] a = [3, 0, 1, -1, 2.5, -1, -2];
        double[] b = [0, 2, 3, -1];
        var pa = TestData.Softmax([3.0, 2.5, 2.5, 1]); // spm scores: ▁the, bi, bi (for Ġbird), ▁dog
        var pb = TestData.Softmax([0.0, -1, 3, 2]);    // member scores: Ġthe, bi, Ġbird, Ġdog
        var avg = pa.Select((p, i) => (p + pb[i]) / 2).ToArray();
        var bird = Math.Max(avg[1], avg[2]);
        var total = avg[0] + bird + avg[3];
        var expected = new double[7];
        (expected[0], expected[4], expected[2]) = (avg[0] / total, bird / total, avg[3] / total);

        var session = TestData.Prepare("unite", [new FusionMember("spm", Spm, MemberRole.Main), new FusionMember("gpt2", member)],
            parameters: TestData.P(("union-k", "2")));
        var step = session.Fuse([TestData.Full(a), TestData.Full(b)]);
        TestData.Close(expected, step.LogProbs);
        var summed = (avg[1] + avg[2]) / (avg[0] + avg[1] + avg[2] + avg[3]);
        Assert.True(Math.Abs(Math.Exp(step.LogProbs[4]) - summed) > 0.05, "the sum would have given id 4 a different probability");
    }
}
