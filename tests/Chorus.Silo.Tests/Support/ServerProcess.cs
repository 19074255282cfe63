using System.Collections.Concurrent;
using System.Diagnostics;

namespace Chorus.Silo.Tests.Support;

/// <summary>A server process a test starts (redis-server, postgres): ready when it prints its ready line; killed on dispose.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyLine;

    private ServerProcess(Process process, string readyLine)
    {
        _process = process;
        _readyLine = readyLine;
    }

    public string Log => string.Join('\n', _log);

    /// <summary>Sends <paramref name="signal"/> (STOP hangs the server, CONT resumes it, KILL ends it: faults a test injects).</summary>
    public void Signal(string signal)
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (signal == "KILL") _process.WaitForExit(10_000);
    }

    public static ServerProcess Start(ProcessStartInfo start, string readyLine)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, readyLine);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Exited += (_, _) => server._ready.TrySetException(new InvalidOperationException($"{start.FileName} exited before it was ready:\n{server.Log}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Completes when the server printed its ready line; fails when it exits first or the timeout passes.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} was not ready within {timeout.TotalSeconds:F0} s:\n{Log}");
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 200) _log.TryDequeue(out _);
        if (line.Contains(_readyLine, StringComparison.Ordinal)) _ready.TrySetResult();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        _process.Dispose();
    }
}
