using System.Text.Json;
using System.Xml.Linq;
using Chorus.Client.Eval;
using Chorus.Llama.Tests.Cli;

namespace Chorus.Llama.Tests.Training;

public sealed class EvalTests
{
    private static readonly string Zoo = Corpora.Zoo;

    [Fact]
    public void WindowsFitTheContextInEveryVocabularyAndMixedSegmentsTileTheText()
    {
        using var spm = LlamaModel.LoadVocabularyOnly(VocabularyFiles.Resolve("llama-spm"));
        using var gpt2 = LlamaModel.LoadVocabularyOnly(VocabularyFiles.Resolve("gpt-2"));
        var texts = new EvalTexts([spm.Vocabulary, gpt2.Vocabulary], 240);
        var linux = File.ReadAllText(Corpora.TestSplit("linux"));
        var windows = texts.Windows("linux", linux, 5, 2000);
        Assert.Equal(5, windows.Count);
        Assert.All(windows, w =>
        {
            Assert.InRange(spm.Vocabulary.Tokenize(w.Text, addSpecial: true).Length, 100, 240);
            Assert.InRange(gpt2.Vocabulary.Tokenize(w.Text, addSpecial: true).Length, 1, 240);
            Assert.Equal(w.Text, linux.Substring(w.Offset, w.Text.Length));
        });

        var splits = Corpora.Domains.Select(d => (d, File.ReadAllText(Corpora.TestSplit(d)))).ToArray();
        var (mixed, segments) = EvalTexts.Mixed(splits, 20_000, 7);
        Assert.True(mixed.Length >= 20_000);
        Assert.Equal(0, segments[0].Start);
        Assert.Equal(mixed.Length, segments[^1].End);
        for (var i = 1; i < segments.Count; i++)
        {
            Assert.Equal(segments[i - 1].End, segments[i].Start);
            Assert.NotEqual(segments[i - 1].Domain, segments[i].Domain);
            Assert.InRange(segments[i].End - segments[i].Start, 1, 8192);
        }
        var mixedWindows = texts.MixedWindows(mixed, segments, 900);
        Assert.Equal(mixed.Length, mixedWindows.Sum(w => w.Text.Length) + (mixed.Length - (mixedWindows[^1].Offset + mixedWindows[^1].Text.Length)));
    }

    [Fact]
    public void TheWeightPictureIsAnSvgWithOneStackPerWindow()
    {
        WindowWeights[] windows = [new(0, 500, "wiki", [0.9, 0.05, 0.05]), new(500, 400, "linux", [0.1, 0.0, 0.9])];
        var svg = XDocument.Parse(WeightPicture.Render("t", ["a", "b", "c"], ["wiki", "shakespeare", "linux"], windows));
        XNamespace ns = "http://www.w3.org/2000/svg";
        // 3 member rects + 1 domain strip per window, + 3 legend swatches
        Assert.Equal(2 * 4 + 3, svg.Descendants(ns + "rect").Count());
    }

    [Fact]
    public async Task EvalRoutesPromptsThroughTheInProcessCluster()
    {
        var (code, output, error) = await CliRunner.RunAsync("eval", "--zoo", Zoo, "--corpora", Corpora.Directory, "--suites", "routing", "--prompts", "2", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var mixture = json.RootElement.GetProperty("routing")[0];
        Assert.Equal("mixture", mixture.GetProperty("method").GetString());
        Assert.Equal(6, mixture.GetProperty("prompts").GetInt32());
        Assert.Equal(6, mixture.GetProperty("correct").GetInt32()); // the zoo's experts are far apart: every prompt routes home
    }
}
