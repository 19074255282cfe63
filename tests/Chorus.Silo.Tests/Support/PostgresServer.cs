using System.Diagnostics;
using Chorus.Client.Cluster;
using Npgsql;

namespace Chorus.Silo.Tests.Support;

/// <summary>
/// A real PostgreSQL server (Debian's postgresql package, installed when missing): a new cluster in a temp data
/// folder (initdb, trust authentication for loopback), on a free loopback port; killed and deleted on dispose.
/// PostgreSQL refuses to run as root, so as root it runs as the package's postgres user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "chorus";
    private readonly ServerProcess _server;
    private readonly string _directory;

    private PostgresServer(ServerProcess server, string directory, int port)
    {
        _server = server;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A connection string to <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port};Username={User};Database={database}";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = await DebianPackages.EnsureAsync("postgresql", FindBin);
        var directory = Directory.CreateTempSubdirectory("chorus-postgres-").FullName;
        var data = Path.Combine(directory, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync(new ProcessStartInfo("chown", ["-R", "postgres:postgres", directory]));
        await RunAsync(As(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync"));
        var port = FreePorts.Take(1)[0];
        var server = ServerProcess.Start(As(asRoot, Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(), "-k", directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
            "database system is ready to accept connections");
        var postgres = new PostgresServer(server, directory, port);
        try
        {
            await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates an empty database (no Orleans tables) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private static string? FindBin()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "postgres")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static ProcessStartInfo As(bool asRoot, string executable, params string[] arguments)
    {
        var start = asRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", executable, .. arguments]) : new ProcessStartInfo(executable, arguments);
        start.WorkingDirectory = "/tmp";
        return start;
    }

    private static async Task RunAsync(ProcessStartInfo start)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}):\n{await output}{await error}");
    }

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        TempFolders.Delete(_directory);
        return ValueTask.CompletedTask;
    }
}
