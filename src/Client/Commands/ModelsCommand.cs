using System.CommandLine;
using Chorus.Client.Cluster;

namespace Chorus.Client.Commands;

/// <summary><c>chorus models</c>: which models the cluster serves, on which silo, with what vocabulary and size.</summary>
internal static class ModelsCommand
{
    public static Command Create(CommandContext context)
    {
        var cluster = new ClusterArguments();
        var json = CommonOptions.Json();
        var command = new Command("models", "List the models a cluster (or an in-process silo serving --model files) serves") { json };
        cluster.AddTo(command);
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(cluster.Verbose), async () =>
        {
            await using var connection = await ClusterConnection.OpenAsync(cluster.Target(parse), context.Error, ct);
            var reply = await connection.Client.ListModelsReplyAsync(ct);
            var models = reply.Models;
            if (parse.GetValue(json))
            {
                await context.Output.WriteLineAsync(JsonOutput.Serialize(new
                {
                    models = models.Select(m => new
                    {
                        id = m.Id, silo = m.Silo, path = m.Path, vocabulary = m.Vocabulary, vocabularyHash = m.VocabularyHash, vocabularySize = m.VocabularySize,
                        parameters = m.Parameters, contextSize = m.ContextSize, maxSequences = m.MaxSequences, activeSequences = m.ActiveSequences,
                        waiting = m.Waiting, sweptSequences = m.SweptSequences, unhealthy = m.Unhealthy, description = m.Description, device = m.Device,
                        chatTemplate = m.ChatTemplate.Length > 0 ? m.ChatTemplate : null,
                    }),
                    silos = SiloView.Json(reply.Replicas),
                }));
                return 0;
            }
            if (models.Count == 0)
            {
                await context.Output.WriteLineAsync("no models served");
                return 0;
            }
            var idWidth = Math.Max(2, models.Max(m => m.Id.Length));
            var siloWidth = Math.Max(4, models.Max(m => m.Silo.Length));
            await context.Output.WriteLineAsync($"{"ID".PadRight(idWidth)}  {"SILO".PadRight(siloWidth)}  {"VOCABULARY",-16}  {"PARAMS",8}  {"CTX",6}  {"SEQS",7}  {"QUEUED",6}  {"CHAT",-6}  DEVICE");
            foreach (var m in models)
                await context.Output.WriteLineAsync($"{m.Id.PadRight(idWidth)}  {m.Silo.PadRight(siloWidth)}  {$"{m.Vocabulary} {m.VocabularySize}",-16}  " +
                    $"{m.Parameters / 1e6,7:F1}M  {m.ContextSize,6}  {$"{m.ActiveSequences}/{m.MaxSequences}",7}  {m.Waiting,6}  {ChatKind(m.ChatTemplate),-6}  {m.Device}{(m.Unhealthy ? "  UNHEALTHY" : "")}");
            await SiloView.WriteAsync(context.Output, reply.Replicas);
            return 0;
        }));
        return command;
    }

    // which chat format the model's members use: its template's family, or "plain" (no template: "role: content" lines)
    // (the family by the markers llama.cpp recognises it by; "jinja" for the rest)
    private static string ChatKind(string template) =>
        template.Length == 0 ? "plain"
        : template.Contains("<|im_start|>", StringComparison.Ordinal) ? "chatml"
        : template.Contains("[INST]", StringComparison.Ordinal) ? "llama2"
        : template.Contains("<|assistant|>", StringComparison.Ordinal) && template.Contains("<|end|>", StringComparison.Ordinal) ? "phi3"
        : template.Contains("<|start_header_id|>", StringComparison.Ordinal) ? "llama3"
        : template.Contains("<start_of_turn>", StringComparison.Ordinal) ? "gemma"
        : "jinja";
}
