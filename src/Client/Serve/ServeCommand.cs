using System.CommandLine;
using Chorus.Client.Commands;
using Chorus.Silo;

namespace Chorus.Client.Serve;

/// <summary>
/// <c>chorus serve -m FILE…</c>: one silo in the foreground, as <c>llama-server -m FILE</c> or <c>vllm serve MODEL</c>
/// start one — the models given as files (each served under its file name), packs given as NAME=METHOD:ID,ID, gRPC and
/// the OpenAI-compatible HTTP API; a line per model as it loads, then the endpoints; Ctrl-C drains and stops.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The OpenAI-compatible API's port when neither --http-port nor the configuration gives one (llama-server's).</summary>
    public const int DefaultHttpPort = 8080;

    public static Command Create(CommandContext context)
    {
        var models = new Option<string[]>("--model", "-m") { Description = "A GGUF file to serve, repeatable; its id is the file name without extension", Arity = ArgumentArity.ZeroOrMore };
        var packs = new Option<string[]>("--pack")
        {
            Description = $"A pack NAME=METHOD:ID,ID… (members in role order), repeatable; methods: {string.Join(", ", Fusion.FusionMethods.Names)}",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var httpPort = new Option<int?>("--http-port") { Description = $"Port of the OpenAI-compatible HTTP API (default {DefaultHttpPort}; 0 = off)" };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "Port of the gRPC API (default 5080)" };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "A file with one API key per line; clients then send 'authorization: Bearer <key>'" };
        var config = new Option<string?>("--config") { Description = "An appsettings-style JSON file with a Chorus section (models, packs, ports, security); the options above add to it" };
        var contextSize = CommonOptions.ContextSize();
        var threads = CommonOptions.Threads();
        var verbose = CommonOptions.Verbose();
        var command = new Command("serve", "Serve models from this machine: one silo in the foreground with the gRPC and OpenAI-compatible APIs")
        {
            models, packs, httpPort, grpcPort, apiKeyFile, config, contextSize, threads, verbose,
        };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), async () =>
        {
            var plan = new ServePlan(parse.GetValue(models) ?? [], parse.GetValue(packs) ?? [], parse.GetValue(httpPort), parse.GetValue(grpcPort),
                parse.GetValue(apiKeyFile), parse.GetValue(config), parse.GetValue(contextSize), parse.GetValue(threads));
            plan.Check();
            await using var silo = await ServedSilo.StartAsync(plan, parse.GetValue(verbose), context.Output, ct);
            await silo.LoadModelsAsync(ct);
            await silo.PrintEndpointsAsync();
            await silo.WaitForShutdownAsync(ct);
            return 0;
        }));
        return command;
    }
}
