using System.Collections.Concurrent;
using System.Diagnostics;
using Chorus.Client.Cluster;
using Grpc.Core;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// A real <c>chorus-silo</c> process (<c>dotnet chorus-silo.dll</c> from the test output). Its output is kept for
/// diagnostics; disposing kills the whole process tree and waits (bounded) for it to go. The silo also stops by
/// itself when this test process dies (<c>--ParentProcessId</c>), so no run leaves silos behind.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private const int LogLines = 300;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private SiloProcess(string name, Process process, int siloPort, int grpcPort)
    {
        Name = name;
        _process = process;
        SiloPort = siloPort;
        GrpcPort = grpcPort;
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int GrpcPort { get; }
    public string Endpoint => $"http://127.0.0.1:{GrpcPort}";
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the silo printed.</summary>
    public string Log => string.Join('\n', _log);

    public static string Executable
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "chorus-silo.dll");
            return File.Exists(path) && File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json"))
                ? path
                : throw new FileNotFoundException($"chorus-silo.dll (and its runtimeconfig) not found next to the tests in {AppContext.BaseDirectory}; build tests/Chorus.Silo.Tests");
        }
    }

    public static SiloProcess Start(string name, int siloPort, int grpcPort, IEnumerable<string> configuration, int? parentProcessId = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Executable);
        foreach (var arg in configuration) start.ArgumentList.Add(arg);
        start.ArgumentList.Add($"--ParentProcessId={parentProcessId ?? Environment.ProcessId}");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, process, siloPort, grpcPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start silo {name}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>
    /// Waits until the silo's gRPC health check says SERVING; fails at once if the process exits, or after the timeout.
    /// <paramref name="client"/> probes instead of a plaintext client of <see cref="Endpoint"/> (a TLS silo).
    /// </summary>
    public async Task WaitUntilServingAsync(TimeSpan timeout, ChorusApiClient? client = null)
    {
        using var plaintext = client is null ? ChorusApiClient.ForAddress(Endpoint) : null;
        client ??= plaintext!;
        using var deadline = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(CancellationToken.None);
        while (!deadline.IsCancellationRequested)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"silo {Name} exited with code {_process.ExitCode} before serving:\n{Log}");
            using var probe = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            probe.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                if (await client.IsServingAsync(probe.Token)) return;
            }
            catch (RpcException)
            {
                // not listening yet, or the probe ran out of time: try again
            }
            await Task.WhenAny(exited, Task.Delay(250, CancellationToken.None));
        }
        throw new TimeoutException($"silo {Name} was not SERVING within {timeout.TotalSeconds:F0} s:\n{Log}");
    }

    /// <summary>Waits (until cancelled) for the process to exit by itself.</summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // the caller asserts HasExited
        }
    }

    /// <summary>Asks the silo to stop gracefully (SIGTERM, as Kubernetes does when it deletes a pod); does not wait.</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Kills the silo and its children (SIGKILL: no graceful shutdown, as when a machine dies).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        _process.WaitForExit(10_000);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        _log.Enqueue($"[{Name}] {line}");
        while (_log.Count > LogLines) _log.TryDequeue(out _);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
