namespace Chorus.Silo.Tests.Readme;

/// <summary>A fresh clone stands on its own: nothing tracked reads outside the repository, and the README stays a front door.</summary>
public sealed class RepositoryHygieneTests
{
    // spelled in parts so that this file does not match itself: the relative and the development machine's absolute form
    private static readonly string[] OutsideFolders = [".." + "/shared", "/work" + "/shared"];

    [Fact]
    public void No_tracked_file_refers_to_a_folder_beside_the_repository()
    {
        var offenders = RepositoryFiles.Tracked()
            .Where(f => RepositoryFiles.ReadText(f) is { } text && OutsideFolders.Any(o => text.Contains(o, StringComparison.Ordinal)))
            .ToList();

        Assert.True(offenders.Count == 0, $"these tracked files refer to '{string.Join("' or '", OutsideFolders)}', which a fresh clone does not have " +
            $"(use data/corpora or another folder of the repository): {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_corpora_are_in_the_repository_with_their_sources_and_licences()
    {
        foreach (var domain in new[] { "wiki", "shakespeare", "linux" })
            foreach (var split in new[] { "train.txt", "test.txt" })
                Assert.True(new FileInfo(Path.Combine(RepositoryFiles.Root, "data", "corpora", domain, split)).Length > 100_000, $"data/corpora/{domain}/{split}");
        var readme = RepositoryFiles.Read("data/corpora/README.md");
        foreach (var licence in new[] { "CC BY-SA 3.0", "public domain", "GPL-2.0" })
            Assert.Contains(licence, readme, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_lines_stay_within_120_characters()
    {
        var lines = RepositoryFiles.Read("README.md").Split('\n');
        var wide = lines.Select((line, i) => (Line: i + 1, line.Length)).Where(l => l.Length > 120).ToList();
        Assert.True(wide.Count == 0, "README lines over 120 characters: " + string.Join(", ", wide.Select(l => $"line {l.Line} ({l.Length})")));
    }

    [Fact]
    public void Every_page_the_readme_links_exists()
    {
        var readme = RepositoryFiles.Read("README.md");
        var links = System.Text.RegularExpressions.Regex.Matches(readme, @"\]\(([^)#]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        foreach (var link in links)
            Assert.True(File.Exists(Path.Combine(RepositoryFiles.Root, link)) || Directory.Exists(Path.Combine(RepositoryFiles.Root, link)), $"README links {link}, which does not exist");
    }
}
