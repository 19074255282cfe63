using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Chorus.Client;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests.Readme;

/// <summary>
/// The README's quick tour, run as written: every <c>chorus</c> line through the real command line (in-process, paths
/// from the repository root), the demo serving in the background on a free port instead of 8080, and the curl line
/// by bash against it. A README edit that breaks an example fails here.
/// </summary>
public sealed partial class ReadmeExamplesTests
{
    private const string Alias = "alias chorus='dotnet run --project src/Client -c Release --'";

    [Fact]
    public async Task The_quick_tour_runs_as_written()
    {
        var readme = RepositoryFiles.Read("README.md");
        var commands = ReadmeBlocks.Commands(Assert.Single(ReadmeBlocks.In(readme, "Quick tour", "bash")));
        Assert.Equal(Alias, commands[0]);
        Assert.Contains("dotnet run --project src/Client -c Release -- demo", readme, StringComparison.Ordinal);

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        Task<int>? server = null;
        var serving = new ServingWriter();
        var ran = new List<string>();
        try
        {
            foreach (var command in commands.Skip(1))
            {
                var words = ReadmeBlocks.Words(command);
                if (words[0] == "chorus" && words[^1] == "&")
                {
                    Assert.Equal(["chorus", "demo", "--serve", "8080", "&"], words);
                    serving.HttpPort = FreePorts.Take(1)[0];
                    server = ChorusCommandLine.RunAsync(["demo", "--serve", serving.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], serving, TextWriter.Null, stop.Token);
                    await serving.Ready.WaitAsync(stop.Token);
                }
                else if (words[0] == "chorus")
                {
                    var (code, output, error) = await CommandLineTests.RunAsync([.. words.Skip(1).Select(FromRoot)]);
                    Assert.True(code == 0, $"{command}\n{error}");
                    // generate streams the text to stdout and its summary to stderr
                    if (words[1] == "score") Assert.Matches(@"bits/byte: +[0-9.]+ \(fused", output);
                    else Assert.Contains("\n32 tokens, ", error, StringComparison.Ordinal);
                }
                else if (words[0] == "curl")
                {
                    Assert.NotNull(server);
                    var reply = await BashAsync(command.Replace(":8080/", $":{serving.HttpPort}/", StringComparison.Ordinal), stop.Token);
                    using var json = JsonDocument.Parse(reply);
                    Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
                    Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()), reply);
                }
                else Assert.Fail($"the test does not know how to run this README line: {command}");
                ran.Add(words[0] + " " + words[1]);
            }
            await RunPythonAsync(readme, serving.GrpcEndpoint);
        }
        finally
        {
            await stop.CancelAsync();
            if (server is not null) Assert.Equal(0, await server);
        }
        Assert.Equal(["chorus generate", "chorus score", "chorus demo", "curl -s"], ran);
    }

    // the README's Python block, against the demo's gRPC port (the README says 5000, the demo prints its own)
    private static async Task RunPythonAsync(string readme, string grpcEndpoint)
    {
        var script = Assert.Single(ReadmeBlocks.In(readme, "Quick tour", "python"));
        Assert.Contains("\"127.0.0.1:5000\"", script, StringComparison.Ordinal);
        var folder = await PythonGrpc.StubsAsync();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "readme.py"), script.Replace("127.0.0.1:5000", new Uri(grpcEndpoint).Authority, StringComparison.Ordinal));
            var (code, output) = await PythonGrpc.PythonAsync(folder, null, "readme.py");
            Assert.True(code == 0, output);
            Assert.True(output.Trim().Length > 0, "the Python example printed no text");
        }
        finally
        {
            TempFolders.Delete(folder);
        }
    }

    /// <summary>The repository-relative paths of the README, made absolute (the test runs from its bin folder).</summary>
    private static string FromRoot(string word) =>
        word.StartsWith("models/", StringComparison.Ordinal) || word.StartsWith("data/", StringComparison.Ordinal) ? Path.Combine(RepositoryFiles.Root, word) : word;

    private static async Task<string> BashAsync(string command, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync(ct);
        var error = bash.StandardError.ReadToEndAsync(ct);
        await bash.WaitForExitAsync(ct);
        Assert.True(bash.ExitCode == 0, $"{command}\nexit {bash.ExitCode}: {await error}");
        return await output;
    }

    /// <summary>The demo's output, signalling once it says where it serves (its "== serving" line with the gRPC port).</summary>
    private sealed partial class ServingWriter : StringWriter
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int HttpPort { get; set; }

        public Task Ready => _ready.Task;

        public string GrpcEndpoint { get; private set; } = "";

        public override void Write(char value) { base.Write(value); Check(); }

        public override void Write(string? value) { base.Write(value); Check(); }

        public override void Write(char[] buffer, int index, int count) { base.Write(buffer, index, count); Check(); }

        public override void Write(ReadOnlySpan<char> buffer) { base.Write(buffer); Check(); }

        private void Check()
        {
            if (_ready.Task.IsCompleted) return;
            var match = ServingLine().Match(GetStringBuilder().ToString());
            if (!match.Success) return;
            GrpcEndpoint = match.Groups[1].Value;
            _ready.TrySetResult();
        }

        [GeneratedRegex(@"== serving: .* gRPC at (http://[0-9.:]+);")]
        private static partial Regex ServingLine();
    }
}
