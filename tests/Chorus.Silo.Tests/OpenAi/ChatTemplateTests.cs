using System.Text.Json;
using Chorus.Api;
using Chorus.Llama;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// Each member formats the conversation with its own chat template: in a pack of a ChatML model and a Llama 2 model the
/// prompt tokens each member prefilled equal its own template applied to the messages (written out here by hand, as
/// llama.cpp formats them), tokenized in its own vocabulary; a model without a template gets the plain format.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ChatTemplateTests(OpenAiSiloFixture fixture)
{
    private const string System = "You are brief.";
    private const string User = "Name a colour.";

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["chatml"] = $"<|im_start|>system\n{System}<|im_end|>\n<|im_start|>user\n{User}<|im_end|>\n<|im_start|>assistant\n",
        ["llama2"] = $"[INST] <<SYS>>\n{System}\n<</SYS>>\n\n{User} [/INST]",
        ["plain"] = $"system: {System}\nuser: {User}\nassistant:",
    };

    [Fact]
    public async Task Each_member_of_a_two_template_pack_is_prompted_in_its_own_template()
    {
        var prompts = await MemberPromptsAsync(OpenAiSiloFixture.Pack);
        Assert.Equal(OpenAiSiloFixture.PackMembers, prompts.Keys);
        foreach (var (model, ids) in prompts)
            Assert.Equal(await TokenizeAsync(model, Expected[model]), ids);
        Assert.NotEqual(prompts["chatml"].Length, prompts["llama2"].Length);
    }

    [Fact]
    public async Task Template_markers_that_are_special_tokens_are_prefilled_as_those_tokens_and_kept_while_fusing()
    {
        var request = new GenerateRequest
        {
            Members = new Members { Pack = OpenAiSiloFixture.SpecialPack }, ShowMemberTokens = true,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = 8 },
        };
        request.Messages.Add(new ChatMessage { Role = "system", Content = System });
        request.Messages.Add(new ChatMessage { Role = "user", Content = User });
        int[]? prompt = null;
        var decoded = new List<int>();
        await foreach (var e in fixture.Client.GenerateAsync(request))
        {
            if (e.Started is { } started) prompt = [.. started.Members.Single(m => m.Model == "phi3").PromptTokenIds];
            if (e.Token is { } token) decoded.AddRange(token.MemberTokens.Where(m => m.Model == "phi3").SelectMany(m => m.TokenIds));
        }

        using var phi3 = LlamaModel.LoadVocabularyOnly(OpenAiSiloFixture.Phi3Path);
        const string formatted = $"<|system|>\n{System}<|end|>\n<|user|>\n{User}<|end|>\n<|assistant|>\n"; // llama.cpp's phi3 format
        var expected = phi3.Vocabulary.Tokenize(formatted, addSpecial: true, parseSpecial: true);
        Assert.Equal(expected, prompt);
        Assert.NotEqual(phi3.Vocabulary.Tokenize(formatted, addSpecial: true, parseSpecial: false), expected); // the markers are special tokens here
        // the member re-synced its text every step (another vocabulary than main's) without re-decoding its markers as text
        Assert.NotEmpty(decoded);
        Assert.DoesNotContain("<|", phi3.Vocabulary.Detokenize(decoded.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_without_a_template_is_prompted_in_the_plain_format()
    {
        var prompts = await MemberPromptsAsync("plain");
        Assert.Equal(await TokenizeAsync("plain", Expected["plain"]), prompts["plain"]);
    }

    [Fact]
    public async Task The_model_list_reports_each_models_chat_template()
    {
        var models = (await fixture.Client.ListModelsAsync()).ToDictionary(m => m.Id);
        Assert.Contains("<|im_start|>", models["chatml"].ChatTemplate, StringComparison.Ordinal);
        Assert.Contains("[INST]", models["llama2"].ChatTemplate, StringComparison.Ordinal);
        Assert.Equal("", models["plain"].ChatTemplate);
        Assert.Contains("<|assistant|>", models["phi3"].ChatTemplate, StringComparison.Ordinal); // the vocabulary file's own
    }

    [Fact]
    public async Task Chorus_models_says_which_chat_format_each_model_uses()
    {
        var (exit, output, error) = await CommandLineTests.RunAsync("models", "--endpoint", fixture.Silo.Endpoint, "--api-key", OpenAiSiloFixture.ApiKey);
        Assert.True(exit == 0, error);
        var table = output.Split("\n\n", 2)[0]; // the models table; the per-silo view follows after a blank line
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(line => line.Split(' ')[0]);
        Assert.Contains(" CHAT ", rows["ID"], StringComparison.Ordinal);
        Assert.Contains(" chatml ", rows["chatml"], StringComparison.Ordinal);
        Assert.Contains(" llama2 ", rows["llama2"], StringComparison.Ordinal);
        Assert.Contains(" plain ", rows["plain"], StringComparison.Ordinal);
        Assert.Contains(" phi3 ", rows["phi3"], StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, int[]>> MemberPromptsAsync(string model)
    {
        var result = await NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey, new
        {
            model, max_tokens = 2, temperature = 0,
            messages = new[] { new { role = "system", content = System }, new { role = "user", content = User } },
            chorus = new { show_member_tokens = true },
        }, "chat");
        Assert.False(result.TryGetProperty("error", out var error), error.ToString());
        return result.GetProperty("chorus").GetProperty("members").EnumerateArray().ToDictionary(
            m => m.GetProperty("model").GetString()!,
            m => m.GetProperty("prompt_token_ids").EnumerateArray().Select(id => id.GetInt32()).ToArray());
    }

    // the member's own vocabulary, with BOS as the model adds it to a prompt
    private async Task<int[]> TokenizeAsync(string model, string text) => [.. (await fixture.Client.TokenizeAsync(model, text, addSpecial: true)).Ids];
}
