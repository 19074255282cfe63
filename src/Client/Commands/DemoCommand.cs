using System.CommandLine;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Client.Demo;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus demo</c>: the embedded default, no setup — an in-process silo serving the trained zoo; a fused pack of
/// three domain experts generates from prompts of three domains (the member weights follow the prompt's domain),
/// then a mixed-vocabulary pack and a weak-to-strong trio.
/// </summary>
internal static class DemoCommand
{
    private static readonly (string Domain, string Prompt)[] Prompts =
    [
        ("wiki", "The town was first mentioned in 1135 , when the"),
        ("shakespeare", "ROMEO:\nWhat light through yonder window breaks? It is the"),
        ("linux", "static int __init init_module(void)\n{\n\tstruct"),
    ];

    public static Command Create(CommandContext context)
    {
        var dir = new Option<string?>("--models-dir") { Description = "The trained zoo (default: models/zoo of the repository, or next to the tool)" };
        var tokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens per generation", DefaultValueFactory = _ => 32 };
        var serve = new Option<int?>("--serve") { Description = "Then keep the demo silo serving the OpenAI-compatible API on this loopback port (e.g. 8080) until Ctrl-C" };
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", "Run the embedded demo: an in-process silo fusing the trained model zoo (no setup needed)") { dir, tokens, serve, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), async () =>
        {
            var zoo = DemoModels.Locate(parse.GetValue(dir));
            var target = new ClusterTarget
            {
                Pack = DemoModels.PackName,
                Verbose = parse.GetValue(verbose),
                Configure = o =>
                {
                    o.Models.AddRange(DemoModels.Models(zoo));
                    o.Packs.Add(DemoModels.Pack());
                    o.Cluster.HttpPort = parse.GetValue(serve) ?? 0;
                },
            };
            await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
            var max = parse.GetValue(tokens);
            await context.Output.WriteLineAsync($"Chorus demo: an in-process silo serving the trained zoo in {zoo}");
            await context.Output.WriteLineAsync(
                "The zoo: llama-architecture models of 1–5 million parameters, trained here in minutes on public text (wiki, Shakespeare,\n" +
                "Linux C; models/README.md). Their text is rough by design. Watch the fusion: the member weights printed under each\n" +
                "prompt, and which expert wins it.");

            await context.Output.WriteLineAsync($"\n== pack '{DemoModels.PackName}': {string.Join(" + ", DemoModels.Experts)} fused by packllm-sim — the weights follow the prompt");
            foreach (var (domain, prompt) in Prompts)
                await RunAsync(context, connection, new Members { Pack = DemoModels.PackName }, "", [], $"{domain} prompt", prompt, max, ct);

            var mixed = new Members();
            mixed.Models.AddRange([DemoModels.Gpt2Expert, .. DemoModels.Experts[1..]]);
            await context.Output.WriteLineAsync($"\n== two vocabularies: {DemoModels.Gpt2Expert} (gpt2-8k, main) + {string.Join(" + ", DemoModels.Experts[1..])} (spm8k), packllm-sim over MinED-aligned logits");
            await RunAsync(context, connection, mixed, "packllm-sim", new() { ["top-k"] = "0" }, "shakespeare prompt", Prompts[1].Prompt, max, ct);
            await context.Output.WriteLineAsync("\n== the same two vocabularies fused exactly, byte by byte (method byte: each member's next-byte distribution over its tokenizations, online weights; valid UTF-8 by construction)");
            await RunAsync(context, connection, mixed, "byte", [], "shakespeare prompt", Prompts[1].Prompt, max * 3, ct, unit: "characters");

            var w2s = new Members();
            w2s.Models.AddRange(DemoModels.WeakToStrong);
            await context.Output.WriteLineAsync($"\n== weak-to-strong: {DemoModels.WeakToStrong[0]} + α·({DemoModels.WeakToStrong[1]} − {DemoModels.WeakToStrong[2]}), proxy-tuning α=0.5");
            await RunAsync(context, connection, w2s, "proxy-tuning", new() { ["alpha"] = "0.5" }, "shakespeare prompt", Prompts[1].Prompt, max, ct);
            await context.Output.WriteLineAsync("\nThe measured gains of fusion over the best single expert: `chorus eval` reproduces them, docs/quality.md records them.");
            if (parse.GetValue(serve) is { } port) await ServeAsync(context, connection, port, ct);
            return 0;
        }));
        return command;
    }

    // docs/clients.md shows clients of this
    private static async Task ServeAsync(CommandContext context, ClusterConnection connection, int port, CancellationToken ct)
    {
        await context.Output.WriteLineAsync($"\n== serving: OpenAI-compatible API at http://127.0.0.1:{port}/v1 (model \"{DemoModels.PackName}\" or any zoo model), " +
            $"gRPC at http://{connection.Client.Endpoint}; Ctrl-C stops");
        await context.Output.FlushAsync(ct);
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the silo stops with the connection
        }
    }

    private static async Task RunAsync(CommandContext context, ClusterConnection connection, Members members, string method,
        Dictionary<string, string> parameters, string label, string prompt, int maxTokens, CancellationToken ct, string unit = "tokens")
    {
        var request = new GenerateRequest
        {
            Members = members, Method = method, Prompt = prompt, ShowWeights = true,
            Sampling = new Sampling { Temperature = 0.7f, TopP = 0.95f, Seed = 1 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        request.Params.Add(parameters);
        await context.Output.WriteLineAsync($"\n-- {label}: \"{prompt.ReplaceLineEndings("\\n")}\"");
        await context.Output.WriteAsync(prompt);
        TokenEvent? first = null;
        Finished? finished = null;
        await foreach (var e in connection.Client.GenerateAsync(request, ct))
        {
            if (e.Token is { } t)
            {
                first ??= t;
                await context.Output.WriteAsync(t.Text);
                await context.Output.FlushAsync(ct);
            }
            if (e.Finished is { } f) finished = f;
        }
        await context.Output.WriteLineAsync();
        if (first is not null)
            await context.Output.WriteLineAsync("   weights: " + string.Join("  ", first.Weights.Select(w => $"{w.Key}={w.Value:F2}")));
        if (finished is not null)
            await context.Output.WriteLineAsync($"   {finished.Usage.CompletionTokens} {unit}, {finished.Timings.TokensPerSecond:F1} {unit}/s, fuse {finished.Timings.MeanFuseMs:F2} ms/step, members {finished.Timings.MeanStepMs:F2} ms/step");
    }
}
