using System.Text.Json;
using Chorus.Client;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests;

/// <summary>The <c>chorus</c> tool against a running two-silo cluster (<c>--endpoint</c>).</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class CommandLineTests(TwoSiloFixture fixture)
{
    private const string Text = "Chorus scores this sentence with two synthetic models in two processes. It has two sentences, and some punctuation!";
    private string Endpoint => fixture.Cluster.Silo1.Endpoint;

    [Fact]
    public async Task Generate_streams_one_json_object_per_event()
    {
        var (code, output, error) = await RunAsync("generate", "--endpoint", Endpoint, "-m", "a", "-m", "b", "--method", "packllm-sim",
            "--max-tokens", "8", "--show-weights", "--json", "Once upon a time");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("started", lines[0].GetProperty("event").GetString());
        Assert.Equal(["a", "b"], lines[0].GetProperty("members").EnumerateArray().Select(m => m.GetProperty("model").GetString()));
        var tokens = lines.Where(l => l.GetProperty("event").GetString() == "token" && l.GetProperty("tokenId").GetInt32() >= 0).ToList();
        Assert.Equal(8, tokens.Count);
        Assert.All(tokens, t => Assert.Equal(2, t.GetProperty("weights").EnumerateObject().Count()));
        var finished = lines[^1];
        Assert.Equal("finished", finished.GetProperty("event").GetString());
        Assert.Equal("max_tokens", finished.GetProperty("reason").GetString());
        Assert.Equal(8, finished.GetProperty("completionTokens").GetInt32());
        Assert.Contains("8 tokens", error, StringComparison.Ordinal); // the summary goes to stderr
    }

    [Fact]
    public async Task Generate_as_text_prints_exactly_the_completion()
    {
        var (code, output, error) = await RunAsync("generate", "--endpoint", Endpoint, "-m", "a2", "-m", "b", "-n", "6", "Once upon a time");
        var json = await RunAsync("generate", "--endpoint", Endpoint, "-m", "a2", "-m", "b", "-n", "6", "--json", "Once upon a time");

        Assert.True(code == 0, error);
        var completion = JsonDocument.Parse(json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement.GetProperty("text").GetString();
        Assert.Equal(completion + Environment.NewLine, output);
        Assert.Contains("reason: max_tokens", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_reports_fused_and_member_perplexities()
    {
        var (code, output, error) = await RunAsync("score", "--endpoint", Endpoint, "-m", "a", "-m", "b", "--method", "uniform", "--text", Text, "--json");

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("uniform", json.GetProperty("method").GetString());
        var members = json.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(["a", "b"], members.Select(m => m.GetProperty("model").GetString()));
        var tokens = json.GetProperty("tokens").GetInt32();
        Assert.True(tokens > 10, $"{tokens} tokens scored");
        Assert.All(members, m => Assert.Equal(tokens, m.GetProperty("tokens").GetInt32())); // one vocabulary: the same span
        // a uniform mixture of probabilities never loses to the members' mean log-loss (Jensen)
        var fused = json.GetProperty("meanNll").GetDouble();
        var meanOfMembers = members.Average(m => m.GetProperty("meanNll").GetDouble());
        Assert.True(fused <= meanOfMembers + 1e-6, $"fused NLL {fused} > members' mean {meanOfMembers}");
        Assert.Equal(Math.Exp(fused), json.GetProperty("perplexity").GetDouble(), Math.Exp(fused) * 1e-9);
        // bits per byte = ln(ppl)·tokens / ln 2 / bytes, for the fused result and every member, over the same span
        var bytes = json.GetProperty("bytes").GetInt64();
        Assert.InRange(bytes, tokens, System.Text.Encoding.UTF8.GetByteCount(Text));
        foreach (var score in members.Prepend(json))
        {
            var bitsPerByte = score.GetProperty("bitsPerByte").GetDouble();
            Assert.True(double.IsFinite(bitsPerByte) && bitsPerByte > 0, $"bits per byte {bitsPerByte}");
            Assert.Equal(bytes, score.GetProperty("bytes").GetInt64());
            var expected = Math.Log(score.GetProperty("perplexity").GetDouble()) * score.GetProperty("tokens").GetInt32() / Math.Log(2) / bytes;
            Assert.Equal(expected, bitsPerByte, expected * 1e-9);
        }
    }

    [Fact]
    public async Task Models_and_tokenize_talk_to_the_cluster()
    {
        var models = await RunAsync("models", "--endpoint", Endpoint, "--json");
        var tokenize = await RunAsync("tokenize", "--endpoint", Endpoint, "--model", "g", "--json", "--pieces", "Hello world");

        Assert.True(models.ExitCode == 0, models.Error);
        var ids = JsonDocument.Parse(models.Output).RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString());
        Assert.Equal(["a", "a2", "b", "g"], ids);
        Assert.True(tokenize.ExitCode == 0, tokenize.Error);
        var json = JsonDocument.Parse(tokenize.Output).RootElement;
        Assert.Equal([15496, 995], json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(" world", json.GetProperty("tokens")[1].GetProperty("piece").GetString());
    }

    [Fact]
    public async Task Cluster_errors_print_the_status_and_exit_1()
    {
        var unknown = await RunAsync("generate", "--endpoint", Endpoint, "-m", "a", "-m", "nope", "-n", "4", "hello");
        var badMethod = await RunAsync("score", "--endpoint", Endpoint, "-m", "a", "--method", "bogus", "--text", Text);

        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("error: NotFound: unknown model 'nope'", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(1, badMethod.ExitCode);
        Assert.Contains("\nerror: InvalidArgument: unknown fusion method 'bogus'", "\n" + badMethod.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unknown.Error + badMethod.Error, StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var code = await ChorusCommandLine.RunAsync(args, output, error, timeout.Token);
        return (code, output.ToString(), error.ToString());
    }
}
