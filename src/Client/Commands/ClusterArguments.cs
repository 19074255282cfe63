using System.CommandLine;
using Chorus.Client.Cluster;

namespace Chorus.Client.Commands;

/// <summary>The options that say which cluster a command talks to and who takes part.</summary>
internal sealed class ClusterArguments
{
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "gRPC endpoint of a running cluster (e.g. http://127.0.0.1:5080); default: an in-process silo" };

    public Option<string?> ApiKey { get; } = CommonOptions.ApiKey();

    public Option<string[]> Models { get; } = new("--model", "-m")
    {
        Description = "Member model, repeatable, in role order: a GGUF file (in-process) or a model id. Proxy-tuning/dlf: large base, expert(s), small base",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string?> Pack { get; } = new("--pack") { Description = "A named pack (members, roles, method) instead of --model" };

    public Option<string?> Config { get; } = new("--config") { Description = "appsettings-style JSON with a Chorus section (models, packs) for the in-process silo" };

    public Option<int> ContextSize { get; } = CommonOptions.ContextSize();

    public Option<int> Threads { get; } = CommonOptions.Threads();

    public Option<bool> Verbose { get; } = CommonOptions.Verbose();

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(ApiKey);
        command.Options.Add(Models);
        command.Options.Add(Pack);
        command.Options.Add(Config);
        command.Options.Add(ContextSize);
        command.Options.Add(Threads);
        command.Options.Add(Verbose);
    }

    public ClusterTarget Target(ParseResult parse) => new()
    {
        Endpoint = parse.GetValue(Endpoint),
        ApiKey = CommonOptions.ApiKeyOf(parse, ApiKey),
        Models = parse.GetValue(Models) ?? [],
        Pack = parse.GetValue(Pack),
        ConfigFile = parse.GetValue(Config),
        ContextSize = parse.GetValue(ContextSize),
        Threads = parse.GetValue(Threads),
        Verbose = parse.GetValue(Verbose),
    };

    /// <summary>Generate and score need members: a pack or at least one model.</summary>
    public static void RequireMembers(ClusterTarget target)
    {
        if (string.IsNullOrWhiteSpace(target.Pack) && target.Models.Count == 0)
            throw new ArgumentException("no members: give --model FILE|ID (repeatable, in role order) or --pack NAME");
        if (!string.IsNullOrWhiteSpace(target.Pack) && target.Models.Count > 0)
            throw new ArgumentException("give either --pack or --model, not both");
    }
}

/// <summary>Method options shared by generate and score.</summary>
internal sealed class MethodArguments
{
    // the names come from the method registry, so help cannot drift from what the cluster accepts
    public Option<string?> Method { get; } = new("--method") { Description = $"Fusion method: {string.Join(", ", Fusion.FusionMethods.Names)}" };

    public Option<string[]> Params { get; } = new("--param") { Description = "Method parameter key=value, repeatable (e.g. alpha=1.0)", Arity = ArgumentArity.ZeroOrMore };

    public void AddTo(Command command)
    {
        command.Options.Add(Method);
        command.Options.Add(Params);
    }

    public Dictionary<string, string> Parameters(ParseResult parse)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in parse.GetValue(Params) ?? [])
        {
            var eq = p.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--param '{p}' is not key=value (e.g. --param alpha=1.0)");
            result[p[..eq].Trim()] = p[(eq + 1)..].Trim();
        }
        return result;
    }
}
