using Chorus.Fusion;

namespace Chorus.Llama.Tests.Training;

/// <summary>MinED between the zoo's two vocabularies (gpt2-8k and spm8k): special tokens pair by role, not by text, or not at all.</summary>
public sealed class ZooAlignmentTests
{
    [Fact]
    public void SpecialTokensMapByRoleBetweenTheZoosVocabularies()
    {
        using var gpt2 = LlamaModel.LoadVocabularyOnly(Path.Combine(Corpora.Zoo, "wiki-expert-gpt2.gguf"));
        using var spm = LlamaModel.LoadVocabularyOnly(Path.Combine(Corpora.Zoo, "wiki-expert.gguf"));
        var (g, s) = (gpt2.Vocabulary, spm.Vocabulary);
        Assert.True(g.Eos >= 0 && s.Eos >= 0 && s.Bos >= 0, "both zoo vocabularies have an EOS, spm8k a BOS");

        var down = MinEditDistanceMapper.Build(g, s);
        Assert.Equal(s.Eos, down.ToMember[g.Eos]); // <|endoftext|> → </s>
        var up = MinEditDistanceMapper.Build(s, g);
        Assert.Equal(g.Eos, up.ToMember[s.Eos]); // </s> → <|endoftext|>
        // gpt2-8k's only special token is <|endoftext|>, which ends generation: spm8k's <s> and <unk>, which do not, stay
        // unmatched (the floor) rather than take the member's end-of-text probability (issue 22, item 4)
        Assert.True(up.IsUnmatched(s.Bos), $"<s> maps to {up.ToMember[s.Bos]}");
        if (s.Unknown >= 0) Assert.True(up.IsUnmatched(s.Unknown), $"<unk> maps to {up.ToMember[s.Unknown]}");
        for (var id = 0; id < g.Count; id++)
            if (!g.Specials.Has(id) && !g.IsControl(id)) Assert.False(s.Specials.Has(down.ToMember[id]) || s.IsControl(down.ToMember[id]), $"text token {id} '{g.TokenText(id)}' maps onto a special token");
    }
}
