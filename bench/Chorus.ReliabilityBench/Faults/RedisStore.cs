using System.Diagnostics;
using Chorus.Client.Cluster;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>A real redis-server without persistence on a free loopback port: hung (SIGSTOP), resumed, killed, or restarted empty on the same port.</summary>
internal sealed class RedisStore : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chorus-fault-redis-").FullName;
    private Process? _process;

    public RedisStore() => Port = FreePorts.Take(1)[0];

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts (or starts again, empty: nothing is saved) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("redis-server", ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server (apt-get install redis-server)");
        var ready = new TaskCompletionSource();
        _process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("Ready to accept connections", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Hang() => Signal("STOP");

    public void Resume() => Signal("CONT");

    public void Kill()
    {
        Signal("CONT");
        if (_process is { HasExited: false }) _process.Kill();
        _process?.WaitForExit(10_000);
    }

    private void Signal(string signal)
    {
        if (_process is null || _process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind
        }
    }
}
