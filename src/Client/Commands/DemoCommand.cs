using System.CommandLine;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Client.Demo;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus demo</c>: the embedded default, no setup — forges (once, cached) a pack of small synthetic models,
/// starts an in-process silo serving them, streams a fused PackLLM generation with member weights, then a short
/// mixed-vocabulary UniTE generation across an spm and a gpt-2 model.
/// </summary>
internal static class DemoCommand
{
    private const string Prompt = "To be, or not to be, that is the question:";

    public static Command Create(CommandContext context)
    {
        var dir = new Option<string?>("--models-dir") { Description = "Where demo models are cached (default: ~/.cache/chorus/demo)" };
        var tokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens of the fused generation", DefaultValueFactory = _ => 40 };
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", "Run the embedded demo: an in-process silo fusing synthetic models (no setup needed)") { dir, tokens, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), async () =>
        {
            var models = DemoModels.Ensure(parse.GetValue(dir) ?? DemoModels.DefaultDirectory(), context.Error, ct);
            var target = new ClusterTarget
            {
                Pack = DemoModels.PackName,
                Verbose = parse.GetValue(verbose),
                Configure = o =>
                {
                    o.Models.AddRange(models);
                    o.Packs.Add(DemoModels.Pack());
                },
            };
            await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
            await context.Output.WriteLineAsync("The demo models are synthetic (random weights): the text is noise, the machinery is real.");

            await context.Output.WriteLineAsync($"\n== pack '{DemoModels.PackName}': {string.Join(", ", DemoModels.PackMembers)}, packllm-sim, greedy — per-step member weights");
            await RunAsync(context, connection, connection.Members, "", parse.GetValue(tokens), ct);

            var mixed = new Members();
            mixed.Models.AddRange([DemoModels.PackMembers[0], DemoModels.Gpt2]);
            await context.Output.WriteLineAsync($"\n== unite across two vocabularies: {DemoModels.PackMembers[0]} (llama-spm, main) + {DemoModels.Gpt2} (gpt-2)");
            await RunAsync(context, connection, mixed, "unite", 12, ct);
            return 0;
        }));
        return command;
    }

    private static async Task RunAsync(CommandContext context, ClusterConnection connection, Members members, string method, int maxTokens, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Members = members, Method = method, Prompt = Prompt, ShowWeights = true,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        await context.Output.WriteLineAsync($"prompt: \"{Prompt}\"");
        var printer = new GenerationPrinter(context, json: false, showWeights: true);
        await foreach (var e in connection.Client.GenerateAsync(request, ct))
            await printer.WriteAsync(e);
        if (printer.Finished is { } f) await context.Output.WriteLineAsync($"completion: \"{f.Text.ReplaceLineEndings("\\n")}\"");
    }
}
