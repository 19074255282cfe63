using System.CommandLine;
using Chorus.Llama;
using Chorus.Llama.Forge;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus demo</c>: the embedded default — forges (once, cached) a small synthetic model, shows its tokenizer at
/// work and scores a text through the real llama.cpp engine.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CommandContext context)
    {
        var dir = new Option<string?>("--models-dir") { Description = "Where demo models are cached (default: ~/.cache/chorus/demo)" };
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", "Run the embedded demo (no setup needed)") { dir, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var models = parse.GetValue(dir) ?? DefaultDirectory();
            Directory.CreateDirectory(models);
            var spec = new SyntheticModelSpec("llama-spm", Layers: 2, Embedding: 128, Heads: 4, KvHeads: 4, FeedForward: 352, ContextLength: 1024, Seed: 7);
            var path = Path.Combine(models, "demo-spm.gguf");
            if (!File.Exists(path))
            {
                context.Output.WriteLine($"forging demo model {path} …");
                SyntheticModelForge.Write(spec, path, cancellationToken: ct);
            }
            using var model = LlamaModel.Load(path);
            context.Output.WriteLine($"model: {model.Description}, {model.ParameterCount / 1e6:F1}M parameters, vocabulary {model.Vocabulary.Count} ({model.Vocabulary.Kind})");
            var text = "To be, or not to be, that is the question.";
            var ids = model.Vocabulary.Tokenize(text, addSpecial: true);
            context.Output.WriteLine($"tokens of \"{text}\": {string.Join(' ', ids)}");
            using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = 512 });
            var score = TextScorer.ScoreTokens(runner, ids, cancellationToken: ct);
            context.Output.WriteLine($"perplexity under the (untrained) demo model: {score.Perplexity:F1} over {score.ScoredTokens} tokens");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static string DefaultDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "chorus", "demo");
}
