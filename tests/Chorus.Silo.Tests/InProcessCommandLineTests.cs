using System.Text.Json;
using Chorus.Silo.Tests.Support;

namespace Chorus.Silo.Tests;

/// <summary>Without --endpoint the tool hosts a silo in its own process, serves the files it was given and stops it again.</summary>
public sealed class InProcessCommandLineTests
{
    private const string Text = "An in-process silo scores this text with a pack read from a configuration file. Then it stops again.";

    [Fact]
    public async Task Generate_serves_model_files_under_their_file_names()
    {
        var a = TestModels.Spm(31);
        var g = TestModels.Gpt2(34);

        var (code, output, error) = await CommandLineTests.RunAsync("generate", "-m", a, "-m", g, "--method", "unite", "-n", "5", "--json", "Once upon a time");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["spm-31", "gpt2-34"], lines[0].GetProperty("members").EnumerateArray().Select(m => m.GetProperty("model").GetString()));
        Assert.Equal(5, lines[^1].GetProperty("completionTokens").GetInt32());
        Assert.Contains("starting in-process silo", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_uses_a_pack_from_a_configuration_file_with_relative_model_paths()
    {
        var config = Path.Combine(TestModels.Directory, $"chorus-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Chorus": {
                "Models": [ { "Id": "x", "Path": "{{Path.GetFileName(TestModels.Spm(31))}}" }, { "Id": "y", "Path": "{{Path.GetFileName(TestModels.Spm(33))}}" } ],
                "Packs": [ { "Name": "duo", "Method": "packllm-sim", "Members": [ { "Model": "x" }, { "Model": "y" } ] } ]
              }
            }
            """);
        try
        {
            var (code, output, error) = await CommandLineTests.RunAsync("score", "--config", config, "--pack", "duo", "--text", Text, "--json");

            Assert.True(code == 0, error);
            var json = JsonDocument.Parse(output).RootElement;
            Assert.Equal("packllm-sim", json.GetProperty("method").GetString());
            var members = json.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal(["x", "y"], members.Select(m => m.GetProperty("model").GetString()));
            Assert.Equal(1.0, members.Sum(m => m.GetProperty("weight").GetDouble()), 1e-4);
            Assert.True(double.IsFinite(json.GetProperty("perplexity").GetDouble()));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Missing_members_and_files_are_reported_before_anything_starts()
    {
        var none = await CommandLineTests.RunAsync("generate", "hello");
        var missing = await CommandLineTests.RunAsync("generate", "-m", "/nonexistent/m.gguf", "hello");

        Assert.Equal(1, none.ExitCode);
        Assert.Contains("error: no members", none.Error, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: model '/nonexistent/m.gguf' is neither a GGUF file nor a model id", missing.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("starting in-process silo", missing.Error, StringComparison.Ordinal);
    }
}
