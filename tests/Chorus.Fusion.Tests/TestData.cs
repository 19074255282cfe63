using Chorus.Fusion;

namespace Chorus.Fusion.Tests;

/// <summary>Small vocabularies, distributions and reference formulas computed independently of the library (double precision, plain loops).</summary>
internal static class TestData
{
    public static InMemoryVocabulary Vocabulary(int size, string prefix = "t", params int[] endOfGeneration)
    {
        var pieces = new string[size];
        for (var i = 0; i < size; i++) pieces[i] = prefix + i;
        return new InMemoryVocabulary(pieces, endOfGeneration);
    }

    public static FusionMember Member(IVocabulary vocabulary, MemberRole role = MemberRole.Expert, string? name = null) =>
        new(name ?? role.ToString(), vocabulary, role);

    public static TokenDistribution Full(params double[] logits) => TokenDistribution.FromLogits(Array.ConvertAll(logits, x => (float)x));

    public static float[] RandomLogits(Random random, int size, double scale)
    {
        var logits = new float[size];
        for (var i = 0; i < size; i++) logits[i] = (float)(random.NextDouble() * 2 - 1) * (float)scale;
        return logits;
    }

    /// <summary>Peaked: one token well ahead, a few runners-up, a long flat tail (what LLM distributions look like).</summary>
    public static float[] PeakedLogits(Random random, int size)
    {
        var logits = RandomLogits(random, size, 2);
        for (var i = 0; i < 8; i++) logits[random.Next(size)] += 9 + (float)random.NextDouble() * 5;
        logits[random.Next(size)] += 16; // tail mass ≈ 1–3 % at 32k tokens, as in a confident LLM step
        return logits;
    }

    public static double[] Softmax(IReadOnlyList<double> z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    public static double[] Softmax(IReadOnlyList<float> z) => Softmax(z.Select(v => (double)v).ToArray());

    public static double[] Probabilities(ReadOnlySpan<float> logProbs)
    {
        var p = new double[logProbs.Length];
        for (var i = 0; i < p.Length; i++) p[i] = Math.Exp(logProbs[i]);
        return p;
    }

    public static void Close(IReadOnlyList<double> expected, ReadOnlySpan<float> actualLogProbs, double tolerance = 1e-4)
    {
        var actual = Probabilities(actualLogProbs);
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"token {i}: expected p={expected[i]:G6}, got {actual[i]:G6}");
    }

    public static double TotalVariation(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        double sum = 0;
        for (var i = 0; i < p.Count; i++) sum += Math.Abs(p[i] - q[i]);
        return sum / 2;
    }

    public static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    public static FusionSession Prepare(string method, IReadOnlyList<FusionMember> members, IReadOnlyList<PromptEvidence>? evidence = null,
        Dictionary<string, string>? parameters = null, string prompt = "") =>
        FusionMethods.Create(method, parameters).Prepare(new FusionRequest { Members = members, Evidence = evidence, PromptText = prompt });

    public static Dictionary<string, string> P(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);
}
