using System.CommandLine;
using System.Globalization;
using Chorus.Api;
using Chorus.Client.Cluster;

namespace Chorus.Client.Commands;

/// <summary><c>chorus check-pack</c>: can these models be fused well? Overlap, MinED coverage, bits per byte on a sample, UniTE's verdict.</summary>
internal static class CheckPackCommand
{
    public static Command Create(CommandContext context)
    {
        var cluster = new ClusterArguments();
        var text = new Option<string?>("--text") { Description = "Sample text file: each member's bits per byte on it" };
        var taskScores = new Option<double[]>("--task-score") { Description = "Task score in points per member, repeatable in member order (UniTE's 10-point rule)", Arity = ArgumentArity.ZeroOrMore };
        var lengths = new Option<double[]>("--response-length") { Description = "Mean response length per member, repeatable in member order (UniTE's style rule)", Arity = ArgumentArity.ZeroOrMore };
        var json = CommonOptions.Json();
        var command = new Command("check-pack", "Check whether models fuse well: vocabulary overlap, MinED coverage, bits per byte on a sample, UniTE's Determine verdict")
            { text, taskScores, lengths, json };
        cluster.AddTo(command);
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(cluster.Verbose), async () =>
        {
            var target = cluster.Target(parse);
            ClusterArguments.RequireMembers(target);
            var sample = parse.GetValue(text) is { } path ? ScoreCommand.ReadText(path, null) : "";
            await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
            var request = new CheckPackRequest { Members = connection.Members, Text = sample };
            request.TaskScores.AddRange(parse.GetValue(taskScores) ?? []);
            request.ResponseLengths.AddRange(parse.GetValue(lengths) ?? []);
            var reply = await connection.Client.Raw.CheckPackAsync(request, cancellationToken: ct);
            if (parse.GetValue(json)) await context.Output.WriteLineAsync(JsonOutput.Serialize(reply));
            else Print(context.Output, reply);
            return 0;
        }));
        return command;
    }

    private static void Print(TextWriter output, CheckPackReply reply)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"main: {reply.MainModel}"));
        output.WriteLine("member                          vocab   overlap   MinED exact / marker / edit / special      bits/byte");
        foreach (var m in reply.Members)
        {
            output.WriteLine(string.Create(c,
                $"{m.Model,-30} {m.VocabularySize,6}   {m.VocabularyOverlap,6:P1}   {m.ExactShare,6:P1} / {m.MarkerShare,6:P1} / {m.EditDistanceShare,6:P1} / {m.Special,3}   {(double.IsNaN(m.BitsPerByte) ? "-" : m.BitsPerByte.ToString("F4", c)),9}{(m.Compatible ? "" : "  excluded")}"));
        }
        output.WriteLine(string.Create(c, $"verdict: {reply.Verdict}"));
    }
}
