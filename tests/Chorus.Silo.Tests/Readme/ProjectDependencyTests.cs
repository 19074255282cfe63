using System.Xml.Linq;

namespace Chorus.Silo.Tests.Readme;

/// <summary>Dependencies point one way (README, Layout): the llama.cpp binding and fusion share only the leaf project.</summary>
public sealed class ProjectDependencyTests
{
    [Theory]
    [InlineData("src/Primitives/Chorus.Primitives.csproj", new string[0])]
    [InlineData("src/Llama/Chorus.Llama.csproj", new[] { "Chorus.Primitives" })]
    [InlineData("src/Fusion/Chorus.Fusion.csproj", new[] { "Chorus.Primitives" })]
    public void A_leaf_side_project_references_only_the_leaf(string project, string[] allowed)
    {
        var references = References(project);

        var others = references.Except(allowed).ToList();
        Assert.True(others.Count == 0, $"{project} references {string.Join(", ", others)}; the binding and fusion depend on nothing of ours but " +
            "src/Primitives: move a type both need there instead of referencing the other project");
    }

    [Fact]
    public void Neither_llama_nor_fusion_reaches_the_other_through_any_chain_of_references()
    {
        Assert.DoesNotContain("Chorus.Fusion", Closure("src/Llama/Chorus.Llama.csproj"));
        Assert.DoesNotContain("Chorus.Llama", Closure("src/Fusion/Chorus.Fusion.csproj"));
    }

    [Fact]
    public void The_leaf_is_in_the_solution()
    {
        Assert.Contains(@"src\Primitives\Chorus.Primitives.csproj", RepositoryFiles.Read("Cluster.sln"), StringComparison.Ordinal);
    }

    // project names (file names without .csproj) of a project's direct ProjectReferences
    private static List<string> References(string project) =>
        [.. ReferencePaths(project).Select(Path.GetFileNameWithoutExtension).OfType<string>()];

    private static IEnumerable<string> ReferencePaths(string project)
    {
        var full = Path.Combine(RepositoryFiles.Root, project);
        Assert.True(File.Exists(full), $"{project} does not exist");
        return XDocument.Load(full).Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetRelativePath(RepositoryFiles.Root, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, include.Replace('\\', '/')))));
    }

    private static HashSet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
            foreach (var reference in ReferencePaths(next))
                if (seen.Add(Path.GetFileNameWithoutExtension(reference))) pending.Push(reference);
        return seen;
    }
}
