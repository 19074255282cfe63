using System.Diagnostics;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// The images' HEALTHCHECK command (deploy/docker/healthcheck.sh, run with the image's curl) against a real silo: it
/// passes over plain HTTP and once TLS is on (where the old bash /dev/tcp check could only fail), and fails when nothing
/// answers. The images themselves are not built here (no container engine); DockerfileTests checks they run this script.
/// </summary>
public sealed class ImageHealthCheckTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartPeriod = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_health_check_passes_on_a_serving_silo_with_or_without_tls_and_fails_once_it_is_gone(bool tls)
    {
        await DebianPackages.EnsureAsync("curl", () => DebianPackages.OnPath("curl", "/usr/bin")); // the images install it too
        var folder = Directory.CreateTempSubdirectory("chorus-healthcheck-").FullName;
        try
        {
            var ports = FreePorts.Take(4);
            string[] configuration =
            [
                .. SecureStartTests.Ports(ports), "--Chorus:Cluster:Provider=development", $"--Chorus:Cluster:MetricsPort={ports[3]}",
                "--Chorus:Models:0:Id=a", $"--Chorus:Models:0:Path={TestModels.Spm(31)}", "--Chorus:Models:0:ContextSize=256", "--Chorus:Models:0:Threads=1",
            ];
            if (tls)
            {
                using var certificate = SecureStartTests.SelfSigned(folder, out var certificatePath, out var keyPath);
                configuration = [.. configuration, $"--Chorus:Security:CertificatePath={certificatePath}", $"--Chorus:Security:CertificateKeyPath={keyPath}"];
            }
            var silo = SiloProcess.Start(tls ? "healthcheck-tls" : "healthcheck", ports[0], ports[2], configuration);
            try
            {
                // as Docker runs it: every few seconds within the start period, until it passes
                var watch = Stopwatch.StartNew();
                var (code, log) = await HealthCheckAsync(ports[3]);
                while (code != 0 && watch.Elapsed < StartPeriod && !silo.HasExited)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    (code, log) = await HealthCheckAsync(ports[3]);
                }
                output.WriteLine($"healthy after {watch.Elapsed.TotalSeconds:F0} s: exit {code} {log}");
                Assert.True(code == 0, $"the health check failed ({code}): {log}\n{silo.Log}");

                var (plain, _) = await RunAsync("curl", "--fail", "--silent", "--max-time", "2", "--output", "/dev/null", $"http://127.0.0.1:{ports[3]}/healthz");
                if (tls) Assert.NotEqual(0, plain);  // the port speaks TLS only: the check went over HTTPS
                else Assert.Equal(0, plain);
            }
            finally
            {
                silo.Dispose();
                output.WriteLine(silo.Log);
            }
            var (gone, _) = await HealthCheckAsync(ports[3]);
            Assert.Equal(1, gone);
        }
        finally
        {
            TempFolders.Delete(folder);
        }
    }

    private static Task<(int ExitCode, string Output)> HealthCheckAsync(int metricsPort) =>
        RunWithAsync("sh", [Path.Combine(ChartFiles.Directory, "..", "..", "docker", "healthcheck.sh")], ("Chorus__Cluster__MetricsPort", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static Task<(int ExitCode, string Output)> RunAsync(string command, params string[] arguments) => RunWithAsync(command, arguments, null);

    private static async Task<(int ExitCode, string Output)> RunWithAsync(string command, string[] arguments, (string Name, string Value)? variable)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (variable is { } v) start.Environment[v.Name] = v.Value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
