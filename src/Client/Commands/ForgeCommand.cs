using System.CommandLine;

namespace Chorus.Client.Commands;

/// <summary><c>chorus forge …</c>: write synthetic (and, later, trained) GGUF models.</summary>
internal static class ForgeCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("forge", "Write GGUF models: synthetic random-weight models with real tokenizers");
        command.Subcommands.Add(ForgeSyntheticCommand.Create(context));
        command.Subcommands.Add(ForgeVocabCommand.Create(context));
        command.Subcommands.Add(ForgeTrainCommand.Create(context));
        return command;
    }
}
