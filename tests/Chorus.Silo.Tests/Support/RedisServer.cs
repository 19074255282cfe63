using System.Diagnostics;
using Chorus.Client.Cluster;

namespace Chorus.Silo.Tests.Support;

/// <summary>A real redis-server (Debian's package, installed when missing) on a free loopback port with no persistence, in a temp folder.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ServerProcess _server;
    private readonly string _executable;
    private readonly string _directory;

    private RedisServer(string executable, ServerProcess server, string directory, int port)
    {
        _executable = executable;
        _server = server;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string the silos use.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var executable = await DebianPackages.EnsureAsync("redis-server", () => DebianPackages.OnPath("redis-server", "/usr/bin"));
        var directory = Directory.CreateTempSubdirectory("chorus-redis-").FullName;
        var port = FreePorts.Take(1)[0];
        var server = Launch(executable, directory, port);
        var redis = new RedisServer(executable, server, directory, port);
        try
        {
            await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server stops answering but keeps its connections open (SIGSTOP), as a hung store does.</summary>
    public void Hang() => _server.Signal("STOP");

    /// <summary>A hung server answers again (SIGCONT).</summary>
    public void Resume() => _server.Signal("CONT");

    /// <summary>The server is gone (SIGKILL): connections drop, the port refuses.</summary>
    public void Kill() => _server.Signal("KILL");

    /// <summary>Kills the server and starts a new one on the same port with nothing in it (a Redis without persistence restarted).</summary>
    public async Task RestartEmptyAsync()
    {
        Kill();
        _server.Dispose();
        _server = Launch(_executable, _directory, Port);
        await _server.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    private static ServerProcess Launch(string executable, string directory, int port) => ServerProcess.Start(
        new ProcessStartInfo(executable, ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--daemonize", "no", "--loglevel", "notice"]), "Ready to accept connections");

    public ValueTask DisposeAsync()
    {
        _server.Signal("CONT"); // a hung server must still die
        _server.Dispose();
        TempFolders.Delete(_directory);
        return ValueTask.CompletedTask;
    }
}
