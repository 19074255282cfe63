using System.CommandLine;
using Chorus.Client.Commands;

namespace Chorus.Client;

/// <summary>The root of the <c>chorus</c> command-line tool.</summary>
public static class ChorusCommandLine
{
    public static RootCommand Build(CommandContext context)
    {
        var root = new RootCommand("Chorus: fuse several language models token by token (llama.cpp + Orleans).");
        root.Subcommands.Add(GenerateCommand.Create(context));
        root.Subcommands.Add(ScoreCommand.Create(context));
        root.Subcommands.Add(ModelsCommand.Create(context));
        root.Subcommands.Add(TokenizeCommand.Create(context));
        root.Subcommands.Add(ForgeCommand.Create(context));
        root.Subcommands.Add(DemoCommand.Create(context));
        root.Subcommands.Add(EvalCommand.Create(context));
        root.Subcommands.Add(MergeCommand.Create(context));
        root.Subcommands.Add(CheckPackCommand.Create(context));
        root.Subcommands.Add(ClusterCommand.Create(context));
        root.Subcommands.Add(Serve.ServeCommand.Create(context));
        return root;
    }

    /// <summary>Runs the tool; output and errors go to the given writers (the console by default).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var context = new CommandContext(output ?? Console.Out, error ?? Console.Error);
        var root = Build(context);
        var config = new InvocationConfiguration { Output = context.Output, Error = context.Error };
        return await root.Parse(args).InvokeAsync(config, cancellationToken);
    }
}
