using System.CommandLine;
using Chorus.Llama.Forge;

namespace Chorus.Client.Commands;

/// <summary><c>chorus forge synthetic</c>: a llama-architecture GGUF with seeded random weights and a real tokenizer.</summary>
internal static class ForgeSyntheticCommand
{
    public static Command Create(CommandContext context)
    {
        var vocab = new Option<string>("--vocab") { Description = "Vocabulary name (llama-spm, llama-bpe, gpt-2, qwen2, phi-3, …) or GGUF path", DefaultValueFactory = _ => "llama-spm" };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 2 };
        var embd = new Option<int>("--embd") { DefaultValueFactory = _ => 64 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "KV heads (default: = heads)" };
        var ff = new Option<int>("--ff") { DefaultValueFactory = _ => 256 };
        var ctx = new Option<int>("--ctx") { DefaultValueFactory = _ => 2048 };
        var type = new Option<string>("--type") { Description = "f32, f16 or q8_0", DefaultValueFactory = _ => "f32" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "Chat template to write: chatml, llama2 or a Jinja template (default: the vocabulary's own, usually none)" };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf path", Required = true };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("synthetic", "Write a synthetic llama model (seeded random weights, real tokenizer)")
            { vocab, layers, embd, heads, kvHeads, ff, ctx, type, seed, chatTemplate, output, json, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var spec = new SyntheticModelSpec(
                parse.GetValue(vocab)!, parse.GetValue(layers), parse.GetValue(embd), parse.GetValue(heads),
                parse.GetValue(kvHeads) ?? parse.GetValue(heads), parse.GetValue(ff), parse.GetValue(ctx),
                SyntheticWeightTypes.Parse(parse.GetValue(type)!), parse.GetValue(seed)) { ChatTemplate = parse.GetValue(chatTemplate) };
            var quiet = parse.GetValue(json);
            var progress = new SynchronousProgress<ForgeProgress>(p =>
            {
                if (!quiet) context.Error.Write($"\rforging {p.TensorsWritten}/{p.TensorCount} tensors, {p.Fraction:P0}   ");
            });
            var forged = SyntheticModelForge.Write(spec, parse.GetValue(output)!, progress, ct);
            if (!quiet) context.Error.WriteLine();
            if (quiet)
            {
                context.Output.WriteLine(JsonOutput.Serialize(new
                {
                    path = forged.Path, parameters = forged.Parameters, bytes = forged.FileBytes,
                    vocabulary = forged.VocabularySize, tensors = forged.TensorCount, seconds = forged.Elapsed.TotalSeconds,
                }));
            }
            else
            {
                context.Output.WriteLine($"wrote {forged.Path}: {forged.Parameters / 1e6:F1}M parameters, vocabulary {forged.VocabularySize}, " +
                    $"{forged.FileBytes / 1048576.0:F1} MiB in {forged.Elapsed.TotalSeconds:F1} s");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and can print after the result).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
