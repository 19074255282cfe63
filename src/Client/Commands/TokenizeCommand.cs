using System.CommandLine;
using Chorus.Client.Cluster;
using Chorus.Llama;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus tokenize --model FILE|VOCAB [--pieces] [--json] TEXT</c>: token ids of a text in a model's vocabulary;
/// with <c>--endpoint URL</c> the model is a cluster's model id and the cluster tokenizes.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file or vocabulary name (llama-spm, gpt-2, ...); with --endpoint a model id", Required = true };
        var endpoint = new Option<string?>("--endpoint") { Description = "gRPC endpoint of a running cluster: tokenize with its model" };
        var apiKey = CommonOptions.ApiKey();
        var pieces = new Option<bool>("--pieces") { Description = "Show the text of each token" };
        var special = new Option<bool>("--add-special") { Description = "Add BOS/EOS as the model does when scoring" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var text = new Argument<string>("text") { Description = "Text to tokenize" };
        var command = new Command("tokenize", "Show the token ids of a text in a model's vocabulary") { model, endpoint, apiKey, pieces, special, json, verbose, text };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), async () =>
        {
            var (ids, pieceTexts) = parse.GetValue(endpoint) is { } url
                ? await Remote(url, CommonOptions.ApiKeyOf(parse, apiKey), ModelIds.FromArgument(parse.GetValue(model)!), parse.GetValue(text)!, parse.GetValue(special), ct)
                : Local(parse.GetValue(model)!, parse.GetValue(text)!, parse.GetValue(special));
            if (parse.GetValue(json))
            {
                var tokens = ids.Select((id, i) => new { id, piece = pieceTexts[i] });
                context.Output.WriteLine(JsonOutput.Serialize(new { count = ids.Length, ids, tokens = parse.GetValue(pieces) ? tokens : null }));
            }
            else if (parse.GetValue(pieces))
            {
                for (var i = 0; i < ids.Length; i++) context.Output.WriteLine($"{ids[i],8}  {Quote(pieceTexts[i])}");
            }
            else
            {
                context.Output.WriteLine(string.Join(' ', ids));
            }
            return 0;
        }));
        return command;
    }

    private static (int[] Ids, string[] Pieces) Local(string model, string text, bool addSpecial)
    {
        using var m = LlamaModel.LoadVocabularyOnly(VocabularyFiles.Resolve(model));
        var ids = m.Vocabulary.Tokenize(text, addSpecial: addSpecial);
        return (ids, ids.Select(id => m.Vocabulary.TokenToString(id, special: true)).ToArray());
    }

    private static async Task<(int[] Ids, string[] Pieces)> Remote(string endpoint, string? apiKey, string model, string text, bool addSpecial, CancellationToken ct)
    {
        using var client = ChorusApiClient.ForAddress(endpoint, apiKey);
        var reply = await client.TokenizeAsync(model, text, addSpecial, ct);
        return (reply.Ids.ToArray(), reply.Pieces.ToArray());
    }

    private static string Quote(string piece) =>
        "'" + piece.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "'";
}
