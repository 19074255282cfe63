using System.Diagnostics;
using System.Text;
using Chorus.Client;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests;

/// <summary>
/// <c>chorus serve</c> runs one silo in the foreground: a line per model load, then its endpoints, which answer over
/// gRPC and HTTP with the models and the pack given on the command line; cancelling (Ctrl-C) stops it with exit 0.
/// Also the help texts: the silo's settings, and method lists from the registry.
/// </summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_loads_each_model_with_a_line_then_prints_endpoints_that_answer()
    {
        var ports = FreePorts.Take(2);
        var keys = Path.GetTempFileName();
        await File.WriteAllTextAsync(keys, "serve-key\n");
        var output = new SignallingWriter("Ctrl-C stops");
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var serve = Task.Run(() => ChorusCommandLine.RunAsync(
            ["serve", "-m", TestModels.Spm(71), "-m", TestModels.Spm(72), "--pack", "both=uniform:spm-71,spm-72",
             "--grpc-port", $"{ports[0]}", "--http-port", $"{ports[1]}", "--api-key-file", keys, "--ctx", "256"],
            output, TextWriter.Null, stop.Token));
        try
        {
            await output.Signalled.WaitAsync(TimeSpan.FromMinutes(2));
            var text = output.ToString();
            Assert.Contains("[1/2] loading spm-71 from", text, StringComparison.Ordinal);
            Assert.Contains("[2/2] spm-72: ", text, StringComparison.Ordinal);
            Assert.Contains($"gRPC        http://127.0.0.1:{ports[0]}", text, StringComparison.Ordinal);
            Assert.Contains($"OpenAI API  http://127.0.0.1:{ports[1]}/v1", text, StringComparison.Ordinal);

            using var client = ChorusApiClient.ForAddress($"http://127.0.0.1:{ports[0]}", "serve-key");
            var reply = await client.ListModelsReplyAsync();
            Assert.Equal(["spm-71", "spm-72"], reply.Models.Select(m => m.Id).Order());
            Assert.Equal(["spm-71", "spm-72"], reply.Packs.Single(p => p.Name == "both").Members.Select(m => m.Model));
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", "serve-key");
            var models = await http.GetStringAsync($"http://127.0.0.1:{ports[1]}/v1/models");
            Assert.Contains("\"both\"", models, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            File.Delete(keys);
        }
        Assert.Equal(0, await serve);
    }

    [Fact]
    public async Task Serve_refuses_a_malformed_pack_naming_the_form()
    {
        var (code, _, error) = await CommandLineTests.RunAsync("serve", "-m", TestModels.Spm(71), "--pack", "both-uniform");
        Assert.Equal(1, code);
        Assert.Contains("is not NAME=METHOD:ID,ID", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_silo_executable_answers_help_with_its_settings_and_the_methods()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SiloProcess.Executable);
        start.ArgumentList.Add("--help");
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("Chorus:Cluster:GrpcPort = 5080: gRPC (HTTP/2) port of the public API", output, StringComparison.Ordinal);
        Assert.Contains("Chorus:Sessions:MaxTextBytes = 1048576", output, StringComparison.Ordinal);
        Assert.Contains("Chorus:Models:N:Path", output, StringComparison.Ordinal);
        foreach (var method in Fusion.FusionMethods.Names) Assert.Contains(method, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("score")]
    [InlineData("serve")]
    public async Task Help_lists_every_method_of_the_registry(string command)
    {
        var (code, output, _) = await CommandLineTests.RunAsync(command, "--help");
        Assert.Equal(0, code);
        var flat = string.Join(' ', output.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(string.Join(", ", Fusion.FusionMethods.Names), flat, StringComparison.Ordinal);
    }

    /// <summary>Collects what is written and signals once a line holding <paramref name="marker"/> has been written.</summary>
    private sealed class SignallingWriter(string marker) : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Signalled => _signal.Task;

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text) _text.Append(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_text) _text.AppendLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true) _signal.TrySetResult();
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (_text) return _text.ToString();
        }
    }
}
