using System.Text;
using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>
/// Scoring a text longer than the members' context through the cluster (the 256-token zoo): every method scores it in
/// windows whose scored spans tile the text after the first prompt exactly once, and every slot is free afterwards.
/// </summary>
[Collection(ZooClusterCollection.Name)]
public sealed class LongScoreTests(ZooClusterFixture fixture)
{
    public static TheoryData<string, string[], int> Methods => new()
    {
        { "packllm-sim", ["wiki-expert-gpt2", "linux-expert"], 3000 }, // two vocabularies: 257 tokens failed in the GPT-2 member before
        { "uniform", ["wiki-expert", "linux-expert"], 3000 },
        { "dlf", ["general-large", "linux-expert", "general-small"], 2000 },
        { "unite:floor=0.05", ["general-large", "wiki-expert-gpt2"], 2000 }, // without a floor a token outside the top-k union scores -inf
        { "byte", ["wiki-expert-gpt2", "linux-expert"], 1100 },       // byte by byte: the slowest, so the shortest text
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_text_longer_than_the_context_is_scored_in_windows_that_tile_it(string method, string[] members, int chars)
    {
        var text = Linux(chars);
        var parameters = method.Split(':').Skip(1).Select(p => p.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        var result = await fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid())
            .Score(new ScoreRequest(new MemberSelection(null, members), method.Split(':')[0], parameters, text));

        var windows = result.Windows ?? throw new Xunit.Sdk.XunitException("a text longer than the context was scored whole");
        Assert.True(windows.Length >= 2, $"{windows.Length} window(s)");
        Assert.Equal(0, windows[0].StartChar);
        Assert.Equal(text.Length, windows[^1].EndChar);
        for (var i = 0; i < windows.Length; i++)
        {
            Assert.True(windows[i].StartChar < windows[i].ScoredChar && windows[i].ScoredChar < windows[i].EndChar, $"window {i}: {windows[i]}");
            if (i > 0) Assert.Equal(windows[i - 1].EndChar, windows[i].ScoredChar); // each window scores what the one before did not
            Assert.True(windows[i].Tokens > 0 && double.IsFinite(windows[i].BitsPerByte), $"window {i}: {windows[i]}");
        }
        // the scored spans add up to the text after the first prompt, byte for byte
        var scoredBytes = Encoding.UTF8.GetByteCount(text[windows[0].ScoredChar..]);
        Assert.Equal(scoredBytes, windows.Sum(w => w.Bytes));
        Assert.Equal(scoredBytes, result.Bytes);
        Assert.True(double.IsFinite(result.BitsPerByte) && result.BitsPerByte is > 0.5 and < 12, $"fused bits per byte {result.BitsPerByte}");
        Assert.All(result.Members, m => Assert.True(m.Tokens > 0 && double.IsFinite(m.BitsPerByte), $"{m.Model}: {m.Tokens} tokens, {m.BitsPerByte} bits per byte"));
        // the windows' total is their NLL summed: bits per byte of the whole = the byte-weighted mean of the windows'
        var weighted = windows.Sum(w => w.BitsPerByte * w.Bytes) / windows.Sum(w => w.Bytes);
        Assert.Equal(weighted, result.BitsPerByte, 6);
        // every window fits each member's context with room to spare: 4 tokens, or an eighth of it for byte, whose cover
        // trees keep tokenizations finer than the canonical one (a 10 kB text failed with windows 4 tokens short)
        var room = method == "byte" ? 256 / 8 : 4;
        foreach (var model in members)
        {
            using var vocabulary = Chorus.Llama.LlamaModel.LoadVocabularyOnly(Path.Combine(ZooClusterFixture.Zoo, model + ".gguf"));
            var longest = windows.Max(w => vocabulary.Vocabulary.Tokenize(text[w.StartChar..w.EndChar], addSpecial: true).Length);
            Assert.True(longest <= 256 - room, $"{model}: a window of {longest} tokens leaves less than {room} of the 256-token context free");
        }
        foreach (var model in members)
            Assert.Equal(0, (await fixture.Client.GetGrain<IModelGrain>(model).Slots()).ActiveSequences);
    }

    [Fact]
    public async Task Windows_are_as_long_as_the_context_allows()
    {
        // 256-token contexts, 4 tokens of margin: windows of about 250 tokens, each scoring about half of one. Before, a
        // window after the first never fitted at the first length tried (its own BOS), and the next try was 7/8 of it:
        // 220-token windows scoring ~110 tokens each, for no reason.
        var result = await fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid())
            .Score(new ScoreRequest(new MemberSelection(null, ["wiki-expert", "linux-expert"]), "uniform", [], Linux(6000)));

        var middle = (result.Windows ?? throw new Xunit.Sdk.XunitException("scored whole"))[1..^1];
        Assert.True(middle.Length >= 4, $"{middle.Length} middle windows");
        var mean = middle.Average(w => w.Tokens);
        Assert.True(mean >= (256 - 4) * 15 / 16 / 2.0, $"the windows score {mean:F1} tokens each: shorter than the context allows");
    }

    [Fact]
    public async Task A_text_that_fits_is_scored_whole()
    {
        var result = await fixture.Client.GetGrain<IFusionSessionGrain>(Guid.NewGuid())
            .Score(new ScoreRequest(new MemberSelection(null, ["wiki-expert", "linux-expert"]), "uniform", [], Linux(400)));
        Assert.Null(result.Windows);
    }

    // the start of the Linux test split, cut at a line end
    private static string Linux(int chars)
    {
        var text = File.ReadAllText(Path.Combine(ZooClusterFixture.Zoo, "..", "..", "data", "corpora", "linux", "test.txt"));
        return text[..(text.LastIndexOf('\n', chars) + 1)];
    }
}
