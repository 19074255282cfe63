using Chorus.Fusion;

namespace Chorus.Bench.Fusion;

/// <summary>Synthetic members for the fusion benchmarks: one shared vocabulary, peaked logits, seeded.</summary>
internal static class FusionBenchData
{
    public static InMemoryVocabulary Vocabulary(int size)
    {
        var pieces = new string[size];
        for (var i = 0; i < size; i++) pieces[i] = "t" + i;
        return new InMemoryVocabulary(pieces);
    }

    public static float[] PeakedLogits(Random random, int size)
    {
        var logits = new float[size];
        for (var i = 0; i < size; i++) logits[i] = (float)(random.NextDouble() * 4 - 2);
        for (var i = 0; i < 8; i++) logits[random.Next(size)] += 9 + (float)random.NextDouble() * 5;
        logits[random.Next(size)] += 16;
        return logits;
    }

    public static TokenEmbeddings Embeddings(Random random, int count, int dimension)
    {
        var data = new float[count * dimension];
        for (var i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return new TokenEmbeddings(data, dimension);
    }

    /// <summary>Roles: member 0 main, member 1 base (for proxy-tuning/dlf), the rest experts.</summary>
    public static FusionMember[] Members(IVocabulary vocabulary, int count, TokenEmbeddings? embeddings)
    {
        var members = new FusionMember[count];
        for (var k = 0; k < count; k++)
        {
            var role = k == 0 ? MemberRole.Main : k == 1 ? MemberRole.Base : MemberRole.Expert;
            members[k] = new FusionMember("m" + k, vocabulary, role) { ParameterCount = 1_000 * (k + 1), Embeddings = embeddings };
        }
        return members;
    }

    public static PromptEvidence[] Evidence(Random random, int members, int vocabulary, int length)
    {
        var evidence = new PromptEvidence[members];
        for (var k = 0; k < members; k++)
        {
            var ids = new int[length];
            var lps = new float[length];
            var offsets = new int[length];
            var positions = new TokenDistribution?[length];
            for (var i = 0; i < length; i++)
            {
                ids[i] = random.Next(vocabulary);
                offsets[i] = i * 4;
                lps[i] = i == 0 ? float.NaN : -(float)(random.NextDouble() * 4);
                if (i > 0) positions[i] = TokenDistribution.TopK(PeakedLogits(random, vocabulary), 64);
            }
            evidence[k] = new PromptEvidence(ids, lps, offsets, positions);
        }
        return evidence;
    }
}
