using System.CommandLine;
using Chorus.Client.Cluster;
using Chorus.Llama;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus score</c>: perplexity of a text. One local GGUF file: scored directly by the engine (strided windows).
/// Several models, a pack, a method or an endpoint: fused and per-member perplexity through the cluster.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create(CommandContext context)
    {
        var cluster = new ClusterArguments();
        var method = new MethodArguments();
        var file = new Option<string?>("--file", "-f") { Description = "Text file to score" };
        var text = new Option<string?>("--text") { Description = "Text to score (instead of --file)" };
        var json = CommonOptions.Json();
        var gpu = CommonOptions.GpuLayers();
        var command = new Command("score", "Perplexity of a text under a model, or fused and per-member under a method") { file, text, json, gpu };
        cluster.AddTo(command);
        method.AddTo(command);
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(cluster.Verbose), async () =>
        {
            var content = ReadText(parse.GetValue(file), parse.GetValue(text));
            var target = cluster.Target(parse);
            var parameters = method.Parameters(parse);
            var methodName = parse.GetValue(method.Method);
            var throughCluster = target.Models.Count != 1 || target.Pack is not null || target.ConfigFile is not null
                || !target.InProcess || methodName is not null || parameters.Count > 0;
            if (!throughCluster)
                return LocalScore.Run(context, target.Models[0], content, parse.GetValue(json), target.ContextSize,
                    target.Threads, parse.GetValue(gpu), ct);
            ClusterArguments.RequireMembers(target);
            return await ClusterScore.RunAsync(context, target, methodName, parameters, content, parse.GetValue(json), ct);
        }));
        return command;
    }

    internal static string ReadText(string? file, string? text)
    {
        if (file is not null && text is not null) throw new ArgumentException("give either --file or --text, not both");
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"text file '{file}' not found");
            return File.ReadAllText(file);
        }
        return text ?? throw new ArgumentException("nothing to score: give --file PATH or --text TEXT");
    }
}

/// <summary>One local model scored directly by the engine: token count, mean NLL, perplexity and bits per byte (strided windows when longer than the context).</summary>
internal static class LocalScore
{
    public static int Run(CommandContext context, string path, string content, bool json, int ctx, int threads, int gpuLayers, CancellationToken ct)
    {
        using var m = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = gpuLayers });
        var contextSize = ctx > 0 ? ctx : Math.Min(m.TrainedContextLength, 2048);
        using var runner = new ModelRunner(m, new LlamaContextOptions { ContextSize = contextSize, Threads = threads, BatchSize = contextSize });
        var progress = new SynchronousProgress<(int Done, int Total)>(p =>
        {
            if (!json) context.Error.Write($"\rscoring: {p.Done}/{p.Total} tokens");
        });
        var started = DateTime.UtcNow;
        var score = TextScorer.Score(runner, content, progress, ct);
        if (!json) context.Error.WriteLine();
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        if (json)
        {
            context.Output.WriteLine(JsonOutput.Serialize(new
            {
                model = path, tokens = score.TokenCount, scored = score.ScoredTokens,
                meanNll = score.MeanNll, perplexity = score.Perplexity, bytes = score.ScoredBytes, bitsPerByte = score.BitsPerByte, seconds,
            }));
        }
        else
        {
            context.Output.WriteLine($"model:       {path}");
            context.Output.WriteLine($"tokens:      {score.TokenCount} ({score.ScoredTokens} scored)");
            context.Output.WriteLine($"mean NLL:    {score.MeanNll:F4} nats/token");
            context.Output.WriteLine($"perplexity:  {score.Perplexity:F3}");
            context.Output.WriteLine($"bits/byte:   {score.BitsPerByte:F4} ({score.ScoredBytes} bytes scored)");
            context.Output.WriteLine($"time:        {seconds:F2} s ({score.TokenCount / Math.Max(seconds, 1e-9):F0} tokens/s)");
        }
        return 0;
    }
}
