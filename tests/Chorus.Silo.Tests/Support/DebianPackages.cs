using System.Diagnostics;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// Real servers the tests need (redis-server, PostgreSQL) come from Debian packages: when one is missing the tests
/// install it with apt-get (root only; otherwise they fail saying what to install). Nothing is cached outside the
/// package manager's own state; policy-rc.d keeps Debian from starting the packaged service.
/// </summary>
internal static class DebianPackages
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The path <paramref name="find"/> returns, installing <paramref name="package"/> first when it returns null.</summary>
    public static async Task<string> EnsureAsync(string package, Func<string?> find)
    {
        if (find() is { } found) return found;
        await Gate.WaitAsync();
        try
        {
            if (find() is { } again) return again;
            if (Environment.UserName != "root")
                throw new InvalidOperationException($"{package} is not installed and the tests do not run as root: install it (sudo apt-get install -y {package}) and run them again");
            var (code, output) = await AptGetAsync("install", "-y", "--no-install-recommends", package);
            if (code != 0)
            {
                // a fresh machine has no package lists yet
                await AptGetAsync("update");
                (code, output) = await AptGetAsync("install", "-y", "--no-install-recommends", package);
            }
            return find() ?? throw new InvalidOperationException($"apt-get install {package} did not provide it (exit {code}):\n{output}");
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>An executable on PATH or in one of the given folders.</summary>
    public static string? OnPath(string name, params string[] folders)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(folders))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task<(int Code, string Output)> AptGetAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("apt-get") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("DPkg::Lock::Timeout=300");
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
