namespace Chorus.Fusion;

/// <summary>
/// <c>mixture</c> (Model-GLUE's model-level mixture as a test-time router): one member per request, chosen from
/// the prompt, for the whole sequence. <c>router=perplexity</c>: lowest prompt loss per character (comparable
/// across tokenizers, unlike top1-ppl's per-token loss). <c>router=similarity</c>: highest cosine similarity
/// between the prompt and the member's description prompts. <c>auto</c> (default): similarity when every member
/// has description prompts, else perplexity.
/// </summary>
/// <remarks>
/// Deviation: Model-GLUE routes on pooled hidden states; a pure library has none, so similarity is the cosine of
/// bag-of-token-id counts in the main vocabulary — a lexical stand-in that needs no forward pass.
/// </remarks>
public sealed class MixtureMethod(int topK, string router)
    : FusionMethod(FusionMethods.Mixture, new MethodRequirements(topK, VocabularyAlignment.SingleMember, NeedsPromptEvidence: router != Similarity))
{
    public const string Auto = "auto";
    public const string Perplexity = "perplexity";
    public const string Similarity = "similarity";

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var everyDescribed = true;
        for (var k = 0; k < pack.Count; k++) everyDescribed &= pack.Members[k].DescriptionPrompts is { Count: > 0 };
        var useSimilarity = router == Similarity || (router == Auto && everyDescribed);
        if (useSimilarity)
        {
            if (!everyDescribed) throw new FusionPackException("'mixture' with router=similarity needs description prompts for every member");
            if (string.IsNullOrEmpty(pack.PromptText)) throw new FusionPackException("'mixture' with router=similarity needs the prompt text");
            return new SelectedMemberSession(pack, Requirements, BySimilarity(pack));
        }
        if (pack.Evidence is null) throw new FusionPackException("'mixture' with router=perplexity needs each member's prompt log-probs (prompt evidence)");
        return new SelectedMemberSession(pack, Requirements, ByPerplexity(pack));
    }

    private static int ByPerplexity(PreparedPack pack)
    {
        var best = pack.MainIndex;
        var bestLoss = double.PositiveInfinity;
        for (var k = 0; k < pack.Count; k++)
        {
            var evidence = pack.Evidence![k];
            var loss = pack.PromptText.Length > 0 ? evidence.LossPerCharacter(pack.PromptText.Length) : evidence.Loss;
            if (!double.IsNaN(loss) && loss < bestLoss) { bestLoss = loss; best = k; }
        }
        return best;
    }

    private static int BySimilarity(PreparedPack pack)
    {
        var vocabulary = pack.Main.Vocabulary;
        var prompt = Counts(vocabulary.Tokenize(pack.PromptText));
        var best = pack.MainIndex;
        var bestScore = double.NegativeInfinity;
        for (var k = 0; k < pack.Count; k++)
        {
            foreach (var description in pack.Members[k].DescriptionPrompts!)
            {
                var score = Cosine(prompt, Counts(vocabulary.Tokenize(description)));
                if (score > bestScore) { bestScore = score; best = k; }
            }
        }
        return best;
    }

    private static Dictionary<int, int> Counts(int[] tokens)
    {
        var counts = new Dictionary<int, int>();
        foreach (var t in tokens) counts[t] = counts.GetValueOrDefault(t) + 1;
        return counts;
    }

    internal static double Cosine(Dictionary<int, int> a, Dictionary<int, int> b)
    {
        double dot = 0, na = 0, nb = 0;
        foreach (var (t, c) in a) { na += (double)c * c; if (b.TryGetValue(t, out var d)) dot += (double)c * d; }
        foreach (var c in b.Values) nb += (double)c * c;
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
