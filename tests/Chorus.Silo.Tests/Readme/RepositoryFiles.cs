using System.Diagnostics;

namespace Chorus.Silo.Tests.Readme;

/// <summary>The repository this test binary was built from, and the files git tracks in it.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    /// <summary>Every tracked file (git ls-files), as paths relative to the root.</summary>
    public static IReadOnlyList<string> Tracked()
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "ls-files", "-z" }) start.ArgumentList.Add(a);
        using var git = Process.Start(start)!;
        var listing = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode != 0) throw new InvalidOperationException($"git ls-files failed in {Root}: {git.StandardError.ReadToEnd()}");
        return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A file's text, or null when it is binary (a NUL byte in its first 8 KiB) or gone from the work tree.</summary>
    public static string? ReadText(string relativePath)
    {
        var path = Path.Combine(Root, relativePath);
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan(0, Math.Min(bytes.Length, 8192)).Contains((byte)0) ? null : System.Text.Encoding.UTF8.GetString(bytes);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Cluster.sln not found above the test binaries");
    }
}
