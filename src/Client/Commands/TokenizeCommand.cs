using System.CommandLine;
using Chorus.Llama;

namespace Chorus.Client.Commands;

/// <summary><c>chorus tokenize --model FILE [--pieces] [--json] TEXT</c>: token ids of a text in a model's vocabulary.</summary>
internal static class TokenizeCommand
{
    public static Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file or vocabulary name (llama-spm, gpt-2, ...)", Required = true };
        var pieces = new Option<bool>("--pieces") { Description = "Show the text of each token" };
        var special = new Option<bool>("--add-special") { Description = "Add BOS/EOS as the model does when scoring" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var text = new Argument<string>("text") { Description = "Text to tokenize" };
        var command = new Command("tokenize", "Show the token ids of a text in a model's vocabulary") { model, pieces, special, json, verbose, text };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            using var m = LlamaModel.LoadVocabularyOnly(VocabularyFiles.Resolve(parse.GetValue(model)!));
            var ids = m.Vocabulary.Tokenize(parse.GetValue(text)!, addSpecial: parse.GetValue(special));
            if (parse.GetValue(json))
            {
                var tokens = ids.Select(id => new { id, piece = m.Vocabulary.TokenToString(id, special: true) });
                context.Output.WriteLine(JsonOutput.Serialize(new { count = ids.Length, ids, tokens = parse.GetValue(pieces) ? tokens : null }));
            }
            else if (parse.GetValue(pieces))
            {
                foreach (var id in ids) context.Output.WriteLine($"{id,8}  {Quote(m.Vocabulary.TokenToString(id, special: true))}");
            }
            else
            {
                context.Output.WriteLine(string.Join(' ', ids));
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static string Quote(string piece) =>
        "'" + piece.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "'";
}
