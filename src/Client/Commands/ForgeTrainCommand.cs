using System.CommandLine;
using Chorus.Llama;
using Chorus.Llama.Forge;
using Chorus.Llama.Training;

namespace Chorus.Client.Commands;

/// <summary><c>chorus forge train</c>: trains a GGUF model on a text corpus with llama.cpp's optimizer, saves it, optionally quantizes it.</summary>
internal static class ForgeTrainCommand
{
    public static Command Create(CommandContext context)
    {
        var model = new Option<string?>("--model", "-m") { Description = "F32 model to start from (or give --vocab to start from scratch)" };
        var vocab = new Option<string?>("--vocab") { Description = "Start from scratch: vocabulary name or GGUF path for a freshly initialised model" };
        var layers = new Option<int>("--layers") { Description = "From scratch: layers", DefaultValueFactory = _ => 2 };
        var embd = new Option<int>("--embd") { Description = "From scratch: embedding length", DefaultValueFactory = _ => 128 };
        var heads = new Option<int>("--heads") { Description = "From scratch: attention heads", DefaultValueFactory = _ => 4 };
        var ff = new Option<int>("--ff") { Description = "From scratch: feed-forward length", DefaultValueFactory = _ => 352 };
        var contextLength = new Option<int>("--context-length") { Description = "From scratch: the model's context length", DefaultValueFactory = _ => 256 };
        var corpus = new Option<string>("--corpus") { Description = "Training text file", Required = true };
        var heldOut = new Option<string?>("--held-out") { Description = "Held-out text scored before and after training" };
        var minutes = new Option<double>("--minutes") { Description = "Training time budget", DefaultValueFactory = _ => 5 };
        var steps = new Option<int?>("--steps") { Description = "Optional cap on optimizer steps (windows)" };
        var lr = new Option<double>("--lr") { Description = "Peak AdamW learning rate (cosine decay to lr/10)", DefaultValueFactory = _ => 2e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps", DefaultValueFactory = _ => 50 };
        var ctx = new Option<int>("--ctx") { Description = "Tokens per training window (0 = the model's context length)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the choice of windows", DefaultValueFactory = _ => 1UL };
        var threads = CommonOptions.Threads();
        var quantize = new Option<string?>("--quantize") { Description = "Also quantize the result (q8_0, f16, q4_0); --out gets the quantized file" };
        var saveF32 = new Option<string?>("--save-f32") { Description = "With --quantize: also keep the full-precision model here (to fine-tune it later)" };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf path", Required = true };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("train", "Train a model on a corpus (AdamW, warm-up + cosine schedule) and save it")
            { model, vocab, layers, embd, heads, ff, contextLength, corpus, heldOut, minutes, steps, lr, warmup, ctx, seed, threads, quantize, saveF32, output, json, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            var options = new TrainingOptions
            {
                Duration = TimeSpan.FromMinutes(parse.GetValue(minutes)),
                MaxSteps = parse.GetValue(steps),
                LearningRate = parse.GetValue(lr),
                MinLearningRate = parse.GetValue(lr) / 10,
                WarmupSteps = parse.GetValue(warmup),
                ContextSize = parse.GetValue(ctx),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
            };
            var quantizeTo = parse.GetValue(quantize);
            var quiet = parse.GetValue(json);
            var start = parse.GetValue(model);
            var scratch = parse.GetValue(vocab);
            if ((start is null) == (scratch is null)) throw new ArgumentException("give either --model (a model to continue training) or --vocab (train from scratch)");
            string? initPath = null;
            if (scratch is not null)
            {
                initPath = outPath + ".init.tmp";
                var spec = TrainingInit.Spec(scratch, parse.GetValue(layers), parse.GetValue(embd), parse.GetValue(heads), parse.GetValue(ff),
                    parse.GetValue(contextLength), parse.GetValue(seed), Path.GetFileNameWithoutExtension(outPath));
                SyntheticModelForge.Write(spec, initPath, cancellationToken: ct);
                start = initPath;
            }
            using var loaded = LlamaModel.Load(start!, new LlamaModelOptions { UseMemoryMap = false, RepackWeights = false, GpuLayers = 0 });
            if (initPath is not null) File.Delete(initPath);
            var trainTokens = loaded.Vocabulary.Tokenize(File.ReadAllText(parse.GetValue(corpus)!));
            var heldOutPath = parse.GetValue(heldOut);
            var heldOutTokens = heldOutPath is null ? [] : loaded.Vocabulary.Tokenize(File.ReadAllText(heldOutPath));
            if (!quiet) context.Error.WriteLine($"training '{Path.GetFileName(loaded.FilePath)}' on {trainTokens.Length:N0} tokens for {options.Duration.TotalMinutes:0.##} min");
            var last = DateTime.MinValue;
            var progress = new SynchronousProgress<TrainingProgress>(p =>
            {
                if (quiet || DateTime.UtcNow - last < TimeSpan.FromSeconds(1)) return;
                last = DateTime.UtcNow;
                context.Error.Write($"\rstep {p.Step,6}  loss {p.Loss,6:F3}  lr {p.LearningRate:0.00e+0}  {p.TokensPerSecond,6:N0} tok/s  {p.Elapsed:mm\\:ss} elapsed, {p.Remaining:mm\\:ss} left   ");
            });
            var result = ModelTrainer.Train(loaded, trainTokens, heldOutTokens, options, progress, ct);
            if (!quiet) context.Error.WriteLine();
            var keepF32 = parse.GetValue(saveF32);
            var trainedPath = quantizeTo is null ? outPath : keepF32 is null ? outPath + ".f32.tmp" : Path.GetFullPath(keepF32);
            loaded.Save(trainedPath);
            if (quantizeTo is not null)
            {
                ModelQuantizer.Quantize(trainedPath, outPath, quantizeTo, options.Threads);
                if (keepF32 is null) File.Delete(trainedPath);
            }
            if (quiet)
            {
                context.Output.WriteLine(JsonOutput.Serialize(new
                {
                    path = outPath, steps = result.Steps, tokens = result.Tokens, seconds = result.Elapsed.TotalSeconds,
                    tokens_per_second = result.TokensPerSecond, train_loss = result.FinalTrainLoss,
                    held_out_loss_before = Finite(result.HeldOutLossBefore), held_out_loss_after = Finite(result.HeldOutLossAfter),
                    held_out_perplexity_before = Finite(result.HeldOutPerplexityBefore), held_out_perplexity_after = Finite(result.HeldOutPerplexityAfter),
                    quantized = quantizeTo,
                }));
            }
            else
            {
                context.Output.WriteLine($"wrote {outPath}{(quantizeTo is null ? "" : $" ({quantizeTo})")}: {result.Steps} steps, {result.Tokens:N0} tokens " +
                    $"in {result.Elapsed.TotalSeconds:F0} s ({result.TokensPerSecond:N0} tok/s), train loss {result.FinalTrainLoss:F3}" +
                    (double.IsNaN(result.HeldOutLossAfter) ? "" : $", held-out perplexity {result.HeldOutPerplexityBefore:F1} → {result.HeldOutPerplexityAfter:F1}"));
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
