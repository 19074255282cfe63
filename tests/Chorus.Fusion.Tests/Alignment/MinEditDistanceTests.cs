using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Alignment;

public class MinEditDistanceTests
{
    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    [Fact]
    public void Exact_then_marker_swap_then_edit_distance()
    {
        var main = new InMemoryVocabulary(["▁the", "cat", "▁dogs", "xyz"]);
        var member = new InMemoryVocabulary(["Ġthe", "cat", "Ġdog", "▁the"]);
        var map = MinEditDistanceMapper.Build(main, member);
        Assert.Equal(3, map.ToMember[0]); // exact "▁the" beats the swap "Ġthe"
        Assert.Equal(1, map.ToMember[1]); // exact
        Assert.Equal(2, map.ToMember[2]); // "▁dogs" → swap "Ġdogs" missing → edit distance 1 to "Ġdog"... or 2 to "▁the"
        Assert.Equal(new MapStatistics(2, 0, 2, 0), map.Statistics);
        Assert.Equal(1, map.ToMember[3]); // "xyz": distance 3 to "cat" (3 substitutions), 4 to the others
    }

    [Fact]
    public void Edit_distance_step_finds_a_true_minimum()
    {
        var random = new Random(11);
        string Word() => new(Enumerable.Range(0, random.Next(1, 7)).Select(_ => "abcde▁Ġ"[random.Next(7)]).ToArray());
        var main = new InMemoryVocabulary(Enumerable.Range(0, 300).Select(_ => Word()).Distinct().ToArray());
        var member = new InMemoryVocabulary(Enumerable.Range(0, 200).Select(_ => Word()).Distinct().ToArray());
        var map = MinEditDistanceMapper.Build(main, member);
        for (var t = 0; t < main.Count; t++)
        {
            var piece = main.TokenText(t);
            var text = TokenText.ToPlainText(piece);
            var memberPieces = Enumerable.Range(0, member.Count).Select(member.TokenText).ToList();
            if (memberPieces.Contains(piece) || memberPieces.Any(p => TokenText.ToPlainText(p) == text)) continue;
            var best = memberPieces.Min(p => Levenshtein(text, TokenText.ToPlainText(p)));
            Assert.Equal(best, Levenshtein(text, TokenText.ToPlainText(member.TokenText(map.ToMember[t]))));
        }
    }

    [Fact]
    public void Edit_distance_runs_on_text_with_markers_normalised()
    {
        // " whe" → " the" is 1 substitution; → "The" is 2 (drop the space, w → T). On raw pieces "Ġwhe" → "▁the" is 2
        // and → "The" is 2 as well, and "The" came first.
        var main = new InMemoryVocabulary(["Ġwhe", "Ġdogz"]);
        var member = new InMemoryVocabulary(["The", "dogs", "▁the", "▁dog"]);
        var map = MinEditDistanceMapper.Build(main, member);
        Assert.Equal(2, map.ToMember[0]);
        Assert.Equal(3, map.ToMember[1]); // " dogz" → " dog" 1 (drop z); → "dogs" 2 (drop the space, z → s)
        Assert.Equal(new MapStatistics(0, 0, 2, 0), map.Statistics);
    }

    [Fact]
    public void Same_text_under_other_markers_matches_before_edit_distance()
    {
        var main = new InMemoryVocabulary(["Ġthe", "Ċ"]);
        var member = new InMemoryVocabulary(["<0x0A>", "the", "▁the"]);
        var map = MinEditDistanceMapper.Build(main, member);
        Assert.Equal([2, 0], map.ToMember.ToArray());
        Assert.Equal(new MapStatistics(0, 2, 0, 0), map.Statistics);
    }

    [Fact]
    public void Special_tokens_map_by_role_never_by_text()
    {
        // GPT-2 style: <|endoftext|> is BOS and EOS. SentencePiece style: <unk>, <s>, </s>.
        var gpt2 = new InMemoryVocabulary(["<|endoftext|>", "Context", "Ġthe", "</"], [0], new SpecialTokens(0, 0, -1, -1));
        var spm = new InMemoryVocabulary(["<unk>", "<s>", "</s>", "Context", "▁the", "</"], [2], new SpecialTokens(1, 2, -1, 0));
        var down = MinEditDistanceMapper.Build(gpt2, spm);
        Assert.Equal([2, 3, 4, 5], down.ToMember.ToArray()); // <|endoftext|> → </s>, not "Context"
        Assert.Equal(new MapStatistics(2, 1, 0, 0, 1), down.Statistics);
        var up = MinEditDistanceMapper.Build(spm, gpt2);
        // </s> → EOS, not "</"; <unk> and <s> have no counterpart that does not end generation: unmatched, never text.
        Assert.Equal(0, up.ToMember[2]);
        Assert.Equal([1, 2, 3], up.ToMember[3..].ToArray());
        Assert.Equal([0, 1], up.Unmatched.ToArray());
        Assert.Equal(3, up.Statistics.Special);
    }

    [Fact]
    public void A_gpt2_members_end_of_text_lands_only_on_the_sentencepiece_mains_end_of_generation()
    {
        // main: SentencePiece <unk>, <s>, </s>; member: GPT-2, <|endoftext|> both BOS and EOS and no <unk>.
        var spm = new InMemoryVocabulary(["<unk>", "<s>", "</s>", "▁the", "▁cat", "."], [2], new SpecialTokens(1, 2, -1, 0));
        var gpt2 = new InMemoryVocabulary(["<|endoftext|>", "Ġthe", "Ġcat", "."], [0], new SpecialTokens(0, 0, -1, -1));
        var directory = Path.Combine(Path.GetTempPath(), "chorus-mined-" + Guid.NewGuid().ToString("N"));
        try
        {
            var built = new VocabularyMapCache(directory).Get(spm, gpt2);
            var map = new VocabularyMapCache(directory).Get(spm, gpt2); // read back from disk
            Assert.Equal(built.Unmatched.ToArray(), map.Unmatched.ToArray());
            // the member puts 0.6 on end of text
            var member = TokenDistribution.FromLogits([(float)Math.Log(0.6), (float)Math.Log(0.2), (float)Math.Log(0.1), (float)Math.Log(0.1)]);
            var projection = new MemberProjection(spm.Count, map);
            foreach (var sent in new[] { member, member.ToTopK(2) })
            {
                var p = new float[spm.Count];
                projection.Write(sent, p, new float[spm.Count]);
                Assert.Equal(0.6, Math.Exp(p[2]), 3);                           // </s>
                Assert.True(Math.Exp(p[0]) < 1e-9 && Math.Exp(p[1]) < 1e-9, $"<unk> {Math.Exp(p[0])}, <s> {Math.Exp(p[1])}");
            }
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Text_never_maps_onto_a_special_token()
    {
        var main = new InMemoryVocabulary(["</s", "x"]);
        var member = new InMemoryVocabulary(["<unk>", "</s>", "<s", "x"], [1], new SpecialTokens(-1, 1, -1, 0));
        var map = MinEditDistanceMapper.Build(main, member);
        Assert.Equal(2, map.ToMember[0]); // "</s" is 1 from "</s>" but that is EOS; "<s" is 1 too and is text
    }

    [Fact]
    public void Cache_persists_maps_keyed_by_content_hashes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "chorus-mined-" + Guid.NewGuid().ToString("N"));
        try
        {
            var main = new InMemoryVocabulary(["▁a", "▁bc", "d", "efg"]);
            var member = new InMemoryVocabulary(["Ġa", "bd", "ef"]);
            var built = new VocabularyMapCache(directory).Get(main, member);
            Assert.True(File.Exists(new VocabularyMapCache(directory).PathFor(main, member)));
            var loaded = new VocabularyMapCache(directory).Get(main, member);
            Assert.Equal(built.ToMember.ToArray(), loaded.ToMember.ToArray());
            Assert.Equal(built.Statistics, loaded.Statistics);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Inverse_lists_the_main_tokens_of_each_member_token()
    {
        var map = new VocabularyMap([2, 0, 2, 1], 3, default);
        Assert.Equal([1], map.MainTokensOf(0).ToArray());
        Assert.Equal([3], map.MainTokensOf(1).ToArray());
        Assert.Equal([0, 2], map.MainTokensOf(2).ToArray());
    }

    [Fact]
    public void Uniform_over_different_vocabularies_gathers_through_the_map()
    {
        var main = new InMemoryVocabulary(["▁a", "▁b", "c"]);
        var member = new InMemoryVocabulary(["c", "Ġa", "Ġb", "Ġd"]);
        var session = TestData.Prepare("uniform", [new FusionMember("m", main, MemberRole.Main), new FusionMember("o", member)], parameters: TestData.P(("top-k", "0")));
        double[] zm = [1, 0, -1];
        double[] zo = [0.5, 2, 0, 3];
        // The member's view over the main vocabulary: a ← "Ġa" (2), b ← "Ġb" (0), c ← "c" (0.5), renormalised.
        var view = TestData.Softmax([2.0, 0, 0.5]);
        var pm = TestData.Softmax(zm);
        TestData.Close(pm.Select((p, t) => (p + view[t]) / 2).ToArray(), session.Fuse([TestData.Full(zm), TestData.Full(zo)]).LogProbs);
    }
}
