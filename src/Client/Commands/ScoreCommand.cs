using System.CommandLine;
using Chorus.Llama;

namespace Chorus.Client.Commands;

/// <summary><c>chorus score --model FILE --file TEXT [--json]</c>: token count, mean NLL and perplexity of a text.</summary>
internal static class ScoreCommand
{
    public static Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file", Required = true };
        var file = new Option<string?>("--file", "-f") { Description = "Text file to score" };
        var text = new Option<string?>("--text") { Description = "Text to score (instead of --file)" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var threads = CommonOptions.Threads();
        var ctx = CommonOptions.ContextSize();
        var gpu = CommonOptions.GpuLayers();
        var command = new Command("score", "Perplexity of a text under a model (strided windows when longer than the context)")
            { model, file, text, json, verbose, threads, ctx, gpu };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var content = ReadText(parse.GetValue(file), parse.GetValue(text));
            var path = parse.GetValue(model)!;
            using var m = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = parse.GetValue(gpu) });
            var contextSize = parse.GetValue(ctx) is > 0 and var c ? c : Math.Min(m.TrainedContextLength, 2048);
            using var runner = new ModelRunner(m, new LlamaContextOptions { ContextSize = contextSize, Threads = parse.GetValue(threads), BatchSize = contextSize });
            var showProgress = !parse.GetValue(json);
            var progress = new SynchronousProgress<(int Done, int Total)>(p =>
            {
                if (showProgress) context.Error.Write($"\rscoring: {p.Done}/{p.Total} tokens");
            });
            var started = DateTime.UtcNow;
            var score = TextScorer.Score(runner, content, progress, ct);
            if (showProgress) context.Error.WriteLine();
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            if (parse.GetValue(json))
            {
                context.Output.WriteLine(JsonOutput.Serialize(new
                {
                    model = path, tokens = score.TokenCount, scored = score.ScoredTokens,
                    meanNll = score.MeanNll, perplexity = score.Perplexity, seconds,
                }));
            }
            else
            {
                context.Output.WriteLine($"model:       {path}");
                context.Output.WriteLine($"tokens:      {score.TokenCount} ({score.ScoredTokens} scored)");
                context.Output.WriteLine($"mean NLL:    {score.MeanNll:F4} nats/token");
                context.Output.WriteLine($"perplexity:  {score.Perplexity:F3}");
                context.Output.WriteLine($"time:        {seconds:F2} s ({score.TokenCount / Math.Max(seconds, 1e-9):F0} tokens/s)");
            }
            return Task.FromResult(0);
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
