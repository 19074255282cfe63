using System.Diagnostics;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// The official <c>openai</c> npm client, installed once with <c>npm install</c> into the repository's ignored cache
/// (<c>.cache/npm/openai-VERSION</c>) and reused by later runs. 6.x is the last major that runs on node 20.
/// </summary>
internal static class OpenAiClientPackage
{
    public const string Version = "6.30.1";
    private static readonly Lock Gate = new();

    /// <summary>The <c>node_modules</c> folder that holds <c>openai</c> (installs it on first use).</summary>
    public static string NodeModules()
    {
        lock (Gate)
        {
            var folder = Path.Combine(RepositoryRoot(), ".cache", "npm", $"openai-{Version}");
            var modules = Path.Combine(folder, "node_modules");
            if (File.Exists(Path.Combine(modules, "openai", "package.json"))) return modules;
            Directory.CreateDirectory(folder);
            var npm = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["install", "--no-audit", "--no-fund", "--no-save", "--prefix", folder, $"openai@{Version}"]) npm.ArgumentList.Add(a);
            using var process = Process.Start(npm) ?? throw new InvalidOperationException("could not start npm (is node installed?)");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)) || process.ExitCode != 0)
                throw new InvalidOperationException($"npm install openai@{Version} failed ({(process.HasExited ? process.ExitCode : "timed out")}):\n{output.Result}\n{error}");
            return modules;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Cluster.sln above {AppContext.BaseDirectory}: run the tests from the repository");
    }
}
