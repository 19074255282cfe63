using System.CommandLine;
using Chorus.Llama.Forge;

namespace Chorus.Client.Commands;

/// <summary><c>chorus forge vocab</c>: a vocabulary cut to its first N ids, written as a vocabulary-only GGUF.</summary>
internal static class ForgeVocabCommand
{
    public static Command Create(CommandContext context)
    {
        var from = new Option<string>("--from") { Description = "Vocabulary name (llama-spm, gpt-2, …) or GGUF path", Required = true };
        var size = new Option<int>("--size") { Description = "Ids to keep", DefaultValueFactory = _ => 8192 };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf path", Required = true };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("vocab", "Cut a vocabulary to its first N ids (special tokens and SPM's \"▁\" kept) for faster small models")
            { from, size, output, json, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var written = VocabularyTruncator.Write(parse.GetValue(from)!, parse.GetValue(size), parse.GetValue(output)!);
            if (parse.GetValue(json))
            {
                context.Output.WriteLine(JsonOutput.Serialize(new
                {
                    path = written.Path, model = written.Model, source_size = written.SourceSize, size = written.Size,
                    merges = written.MergeCount, moved = written.MovedTokens,
                }));
            }
            else
            {
                var moved = string.Join(", ", written.MovedTokens.Select(m => $"'{m.Key}' → {m.Value}"));
                context.Output.WriteLine($"wrote {written.Path}: {written.Model} vocabulary, {written.SourceSize} → {written.Size} ids" +
                    (written.MergeCount > 0 ? $", {written.MergeCount} merges" : "") + (moved.Length > 0 ? $"; moved {moved}" : ""));
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
