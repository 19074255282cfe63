using System.Globalization;
using System.Text.RegularExpressions;

namespace Chorus.Silo.Tests;

/// <summary>
/// <c>chorus demo</c>, the README's main job, end to end on the committed zoo: every section runs, the domain pack's
/// weights follow each prompt to its expert, and the byte-level two-vocabulary section streams valid text.
/// </summary>
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task The_demo_runs_every_section_and_its_pack_weights_follow_the_prompt()
    {
        var (code, output, error) = await CommandLineTests.RunAsync("demo", "-n", "8");

        Assert.True(code == 0, error);
        foreach (var section in new[] { "== pack 'domains'", "== two vocabularies", "exactly, byte by byte", "== weak-to-strong" })
            Assert.Contains(section, output, StringComparison.Ordinal);
        // the story: what the zoo is and what to watch first, where the measured gains are last
        var story = output.IndexOf("The zoo: ", StringComparison.Ordinal);
        Assert.InRange(story, 1, output.IndexOf("== pack", StringComparison.Ordinal));
        Assert.EndsWith("`chorus eval` reproduces them, docs/quality.md records them.", output.TrimEnd(), StringComparison.Ordinal);

        // the first three weight lines are the domain pack's wiki, shakespeare and linux prompts
        var weights = WeightLine().Matches(output).Take(3).Select(m => Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(3, weights.Count);
        string[] experts = ["wiki-expert", "shakespeare-expert", "linux-expert"];
        for (var i = 0; i < 3; i++)
            Assert.True(weights[i].MaxBy(w => w.Value).Key == experts[i], $"prompt {i}: weights {string.Join(", ", weights[i])} should favour {experts[i]}");

        var bytes = output[output.IndexOf("exactly, byte by byte", StringComparison.Ordinal)..output.IndexOf("== weak-to-strong", StringComparison.Ordinal)];
        Assert.DoesNotContain('\uFFFD', bytes);
        var characters = int.Parse(Regex.Match(bytes, @"(\d+) characters,").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(characters, 1, 24); // -n 8 → at most 3 × 8 characters for the byte-level section
    }

    private static Dictionary<string, double> Parse(string line) =>
        line.Split("  ", StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0].Trim(), kv => double.Parse(kv[1], CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^   weights: (.+)$", RegexOptions.Multiline)]
    private static partial Regex WeightLine();
}
