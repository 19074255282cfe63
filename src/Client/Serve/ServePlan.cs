using Chorus.Client.Cluster;
using Chorus.Grains;

namespace Chorus.Client.Serve;

/// <summary>
/// What <c>chorus serve</c> was asked for, and how it becomes the silo's options: the configuration file first (model
/// paths relative to it), then the models given as files, the packs, the ports and the key file.
/// </summary>
internal sealed record ServePlan(string[] Models, string[] Packs, int? HttpPort, int? GrpcPort, string? ApiKeyFile, string? ConfigFile, int ContextSize, int Threads)
{
    /// <summary>Checks what can be checked before a silo is built; each error names the option and the fix.</summary>
    public void Check()
    {
        if (Models.Length == 0 && ConfigFile is null)
            throw new ArgumentException("nothing to serve: give -m FILE (a GGUF model, repeatable) or --config FILE with a Chorus:Models list");
        foreach (var m in Models)
            if (!File.Exists(m)) throw new FileNotFoundException($"-m '{m}': no such file; give the path of a GGUF model");
        if (ConfigFile is not null && !File.Exists(ConfigFile)) throw new FileNotFoundException($"--config '{ConfigFile}': no such file");
        if (ApiKeyFile is not null && !File.Exists(ApiKeyFile)) throw new FileNotFoundException($"--api-key-file '{ApiKeyFile}': no such file; one key per line");
        foreach (var (name, port) in new[] { ("--http-port", HttpPort), ("--grpc-port", GrpcPort) })
            if (port is < 0 or > 65535) throw new ArgumentException($"{name} {port} is not a port; give 1..65535 (0 turns the HTTP API off)");
        foreach (var p in Packs) ParsePack(p);
    }

    /// <summary>The silo's command-line arguments: the configuration file, when given, as the host's own config source (its ConfigFile key).</summary>
    public string[] HostArguments() => ConfigFile is null ? [] : [$"--CHORUS_CONFIG_FILE={Path.GetFullPath(ConfigFile)}"];

    /// <summary>Adds what the options say to the options the host bound (from the file, when given).</summary>
    public void Apply(ChorusOptions o)
    {
        if (ConfigFile is not null)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(ConfigFile))!;
            foreach (var m in o.Models.Where(m => m.Path.Length > 0)) m.Path = Path.GetFullPath(m.Path, folder);
        }
        var share = Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / Math.Max(1, o.Models.Count + Models.Length));
        foreach (var file in Models)
        {
            var id = ModelIds.FromPath(file);
            for (var n = 2; o.Models.Any(m => m.Id == id); n++) id = $"{ModelIds.FromPath(file)}-{n}";
            var model = new ModelOptions { Id = id, Path = Path.GetFullPath(file), Threads = share };
            if (ContextSize > 0) model.ContextSize = ContextSize;
            o.Models.Add(model);
        }
        foreach (var p in Packs) o.Packs.Add(ParsePack(p));
        if (GrpcPort is { } grpc) o.Cluster.GrpcPort = grpc;
        o.Cluster.HttpPort = HttpPort ?? (o.Cluster.HttpPort > 0 ? o.Cluster.HttpPort : ServeCommand.DefaultHttpPort);
        if (ApiKeyFile is not null) o.Security.ApiKeysFile = Path.GetFullPath(ApiKeyFile);
        if (string.IsNullOrWhiteSpace(o.Cluster.Provider)) o.Cluster.Provider = "localhost";
        if (o.Cluster.Provider == "localhost")
        {
            // a one-silo cluster nobody joins: its silo-to-silo and gateway ports need only be free, not fixed
            var free = FreePorts.Take(2);
            (o.Cluster.SiloPort, o.Cluster.GatewayPort) = (free[0], free[1]);
        }
    }

    /// <summary>NAME=METHOD:ID,ID… → a pack (members in role order, the method's default parameters).</summary>
    public static PackOptions ParsePack(string value)
    {
        var eq = value.IndexOf('=');
        var colon = value.IndexOf(':', Math.Max(0, eq));
        if (eq <= 0 || colon < 0 || colon == eq + 1 || colon == value.Length - 1)
            throw new ArgumentException($"--pack '{value}' is not NAME=METHOD:ID,ID… (e.g. --pack duet=packllm-sim:wiki,code)");
        var method = value[(eq + 1)..colon].Trim();
        if (!Fusion.FusionMethods.Names.Contains(method.ToLowerInvariant()))
            throw new ArgumentException($"--pack '{value}': unknown method '{method}' (known: {string.Join(", ", Fusion.FusionMethods.Names)})");
        var members = value[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (members.Length == 0) throw new ArgumentException($"--pack '{value}' names no members after ':'");
        return new PackOptions
        {
            Name = value[..eq].Trim(), Method = method,
            Members = [.. members.Select(m => new PackMemberOptions { Model = m })],
        };
    }
}
