using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// The images' Dockerfiles, read (no container engine here builds them): exact base versions, a restore layer from the
/// project files alone before the sources, a .dockerignore that keeps build outputs out but lets the build's inputs in,
/// and the TLS-capable health check (ImageHealthCheckTests runs that script against real silos).
/// </summary>
public sealed partial class DockerfileTests(ITestOutputHelper output)
{
    private static readonly string Repository = Path.GetFullPath(Path.Combine(ChartFiles.Directory, "..", "..", ".."));

    public static TheoryData<string> Dockerfiles() => ["Dockerfile", "Dockerfile.cuda"];

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_base_image_is_an_exact_version(string dockerfile)
    {
        var images = Instructions(dockerfile).Where(i => i.Name == "FROM").Select(i => i.Arguments.Split(' ')[0]).ToList();
        output.WriteLine(string.Join("\n", images));
        Assert.NotEmpty(images);
        foreach (var image in images)
            Assert.True(ExactTag().IsMatch(image), $"{dockerfile}: FROM {image} floats (give an exact version such as 10.0.12-noble)");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_restore_comes_from_the_project_files_before_the_sources(string dockerfile)
    {
        var steps = Instructions(dockerfile).TakeWhile(i => i.Name != "FROM" || i.Arguments.EndsWith("AS build", StringComparison.Ordinal)).ToList();
        var copyAll = steps.FindIndex(i => i is { Name: "COPY", Arguments: ". ." });
        var restore = steps.FindIndex(i => i.Name == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore >= 0 && copyAll > restore, $"{dockerfile}: dotnet restore must come before COPY . .");
        var early = steps.Take(restore).Where(i => i.Name == "COPY").Select(i => i.Arguments).ToList();
        // only what restore reads: the props, build/ (imported targets) and every project file of src/
        foreach (var copy in early) Assert.Matches(@"^(Directory\.Build\.props Directory\.Packages\.props \./|build/ build/|src/\w+/[\w.]+\.csproj src/\w+/)$", copy);
        foreach (var project in Directory.GetFiles(Path.Combine(Repository, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Repository, project).Replace('\\', '/');
            Assert.True(early.Any(c => c.StartsWith(relative + " ", StringComparison.Ordinal)), $"{dockerfile}: {relative} is not copied before the restore");
        }
        // the publish uses that restore
        Assert.All(steps.Where(i => i.Name == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal)),
            i => Assert.Contains("--no-restore", i.Arguments, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_health_check_is_the_tls_capable_script_run_as_the_non_root_user(string dockerfile)
    {
        var steps = Instructions(dockerfile);
        var final = steps.Skip(steps.FindLastIndex(i => i.Name == "FROM")).ToList();
        Assert.Contains(final, i => i is { Name: "COPY", Arguments: "--chmod=755 deploy/docker/healthcheck.sh /usr/local/bin/chorus-healthcheck" });
        Assert.Contains(final, i => i.Name == "RUN" && Regex.IsMatch(i.Arguments, @"apt-get install [^&]*\bcurl\b"));
        var check = Assert.Single(final, i => i.Name == "HEALTHCHECK");
        Assert.EndsWith("CMD [\"chorus-healthcheck\"]", check.Arguments, StringComparison.Ordinal);
        var user = Assert.Single(final, i => i.Name == "USER");
        Assert.True(user.Arguments is "$APP_UID" or "1654", $"{dockerfile}: USER {user.Arguments} is not the chart's runAsUser 1654");
    }

    [Fact]
    public void The_dockerignore_keeps_outputs_out_and_the_build_inputs_in()
    {
        var patterns = File.ReadAllLines(Path.Combine(Repository, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var excluded in (string[])[".git", ".cache/llama", "src/Silo/bin/Release", "src/Grains/obj/project.assets.json", "tests/Chorus.Silo.Tests", "models/build/x.gguf"])
            Assert.True(Ignored(patterns, excluded), $".dockerignore lets {excluded} into the build context");
        foreach (var needed in (string[])["src/Silo/Chorus.Silo.csproj", "src/Silo/Program.cs", "protos/chorus.proto", "build/fetch-native.sh", "Directory.Build.props",
                     "Directory.Packages.props", "models/zoo/a.gguf", "deploy/docker/healthcheck.sh"])
            Assert.False(Ignored(patterns, needed), $".dockerignore keeps {needed} out, which the image build needs");
    }

    // Docker's matching, as far as these patterns use it: a path or any of its parents matches a pattern ("**/" any depth)
    private static bool Ignored(List<string> patterns, string path)
    {
        var parts = path.Split('/');
        for (var n = 1; n <= parts.Length; n++)
        {
            var prefix = string.Join('/', parts[..n]);
            foreach (var pattern in patterns)
            {
                var regex = "^" + Regex.Escape(pattern.TrimEnd('/')).Replace(@"\*\*/", "(.*/)?").Replace(@"\*", "[^/]*") + "$";
                if (Regex.IsMatch(prefix, regex)) return true;
            }
        }
        return false;
    }

    private sealed record Instruction(string Name, string Arguments);

    // instructions with their continuation lines joined, comments dropped
    private static List<Instruction> Instructions(string dockerfile)
    {
        var lines = File.ReadAllLines(Path.Combine(Repository, "deploy", "docker", dockerfile)).Where(l => !l.TrimStart().StartsWith('#'));
        var joined = string.Join('\n', lines).Replace("\\\n", " ", StringComparison.Ordinal);
        return [.. joined.Split('\n').Where(l => l.Trim().Length > 0).Select(l => l.Trim()).Select(l =>
        {
            var space = l.IndexOf(' ', StringComparison.Ordinal);
            return new Instruction(l[..space].ToUpperInvariant(), Regex.Replace(l[(space + 1)..].Trim(), @"\s+", " "));
        })];
    }

    // registry/name:MAJOR.MINOR.PATCH[-suffix], or a digest
    [GeneratedRegex(@"^[\w./-]+(:\d+\.\d+\.\d+(-[\w.-]+)?(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$")]
    private static partial Regex ExactTag();
}
