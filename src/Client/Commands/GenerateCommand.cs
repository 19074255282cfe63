using System.CommandLine;
using Chorus.Api;
using Chorus.Client.Cluster;

namespace Chorus.Client.Commands;

/// <summary><c>chorus generate</c>: a fused generation, streamed token by token, from a running cluster or an in-process silo.</summary>
internal static class GenerateCommand
{
    public static Command Create(CommandContext context)
    {
        var cluster = new ClusterArguments();
        var method = new MethodArguments();
        var sampling = new SamplingArguments();
        var showWeights = new Option<bool>("--show-weights") { Description = "Print each step's member weights and method diagnostics" };
        var speculate = new Option<int>("--speculate") { Description = "Speculative ensembling: tokens drafted per round, verified by every member in one decode (0 = off; greedy output unchanged)" };
        var drafter = new Option<string?>("--drafter") { Description = "The model that drafts with --speculate: a member, or a model of the main vocabulary (default: the main member)" };
        var json = CommonOptions.Json();
        var prompt = new Argument<string>("prompt") { Description = "The prompt" };
        var command = new Command("generate", "Fused generation: stream tokens as the members agree on them") { showWeights, speculate, drafter, json, prompt };
        cluster.AddTo(command);
        method.AddTo(command);
        sampling.AddTo(command);
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(cluster.Verbose), async () =>
        {
            var target = cluster.Target(parse);
            ClusterArguments.RequireMembers(target);
            var drafterModel = parse.GetValue(drafter);
            if (target.InProcess && drafterModel is not null && File.Exists(drafterModel))
                target = target with { Configure = DraftingModel.Serve(target.Configure, drafterModel, target) };
            var request = new GenerateRequest
            {
                Method = parse.GetValue(method.Method) ?? "",
                Prompt = parse.GetValue(prompt)!,
                Sampling = sampling.Sampling(parse),
                Limits = sampling.Limits(parse),
                ShowWeights = parse.GetValue(showWeights),
                Speculate = parse.GetValue(speculate),
                Drafter = drafterModel is null ? "" : ModelIds.FromArgument(drafterModel),
            };
            request.Params.Add(method.Parameters(parse));
            await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
            request.Members = connection.Members;
            var printer = new GenerationPrinter(context, parse.GetValue(json), request.ShowWeights);
            await foreach (var e in connection.Client.GenerateAsync(request, ct))
                await printer.WriteAsync(e);
            return printer.Finished is null ? 1 : 0;
        }));
        return command;
    }
}
