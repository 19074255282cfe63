using System.Diagnostics;
using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// Runs one of the node scripts in <c>OpenAi/Scripts</c> with the official openai client on its module path. A script
/// prints its result as one JSON line (a client error as <c>{"error": {status, code, type, message}}</c>).
/// </summary>
internal sealed class NodeScript : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _error;

    private NodeScript(Process process)
    {
        _process = process;
        _error = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts <paramref name="script"/> against <paramref name="baseUrl"/> with <paramref name="request"/> as its CHORUS_REQUEST.</summary>
    public static NodeScript Start(string script, string baseUrl, string apiKey, object? request = null, params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "OpenAi", "Scripts", script));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["NODE_PATH"] = OpenAiClientPackage.NodeModules();
        start.Environment["CHORUS_BASE_URL"] = baseUrl;
        start.Environment["CHORUS_API_KEY"] = apiKey;
        start.Environment["CHORUS_REQUEST"] = JsonSerializer.Serialize(request ?? new { });
        return new NodeScript(Process.Start(start) ?? throw new InvalidOperationException("could not start node"));
    }

    /// <summary>Runs a script to its end and parses the JSON it printed.</summary>
    public static async Task<JsonElement> RunAsync(string script, string baseUrl, string apiKey, object? request = null, params string[] arguments)
    {
        using var node = Start(script, baseUrl, apiKey, request, arguments);
        return await node.ResultAsync();
    }

    /// <summary>The next line the script prints (a progress signal), or null when it ended.</summary>
    public Task<string?> ReadLineAsync(CancellationToken cancellationToken) => _process.StandardOutput.ReadLineAsync(cancellationToken).AsTask();

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits (at most a minute) for the script to end and parses its last line of output.</summary>
    public async Task<JsonElement> ResultAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = await _process.StandardOutput.ReadToEndAsync(timeout.Token);
        await _process.WaitForExitAsync(timeout.Token);
        var error = await _error;
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(_process.ExitCode == 0 && last is not null, $"node exited with {_process.ExitCode}:\n{output}\n{error}");
        return JsonDocument.Parse(last!).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it ended meanwhile
        }
        _process.Dispose();
    }
}
