using Chorus.Grains;
using Microsoft.Extensions.Configuration;

namespace Chorus.Client.Cluster;

/// <summary>
/// What an in-process silo serves: the <c>Chorus</c> section of <c>--config FILE</c> (model paths relative to that
/// file), plus every <c>--model FILE</c> under its file name without extension.
/// </summary>
internal static class InProcessConfiguration
{
    public static (ChorusOptions Options, string[] Members) Resolve(ClusterTarget target)
    {
        var options = new ChorusOptions();
        if (target.ConfigFile is { } file) Load(file, options);
        target.Configure?.Invoke(options);
        var members = target.Models.Select(m => MemberId(options, m, target)).ToArray();
        ShareCores(options, target.Threads);
        if (options.Models.Count == 0)
            throw new ArgumentException("nothing to serve: give --model FILE (repeatable), --config FILE with a Chorus:Models list, or --endpoint URL of a running cluster");
        return (options, members);
    }

    /// <summary>Copies what was resolved into the options the silo host bound (its ports stay the host's business).</summary>
    public static void Apply(ChorusOptions resolved, ChorusOptions silo)
    {
        silo.Models = resolved.Models;
        silo.Packs = resolved.Packs;
        silo.Sessions = resolved.Sessions;
        silo.KnownModels = resolved.KnownModels;
        silo.CacheDirectory = resolved.CacheDirectory ?? silo.CacheDirectory;
        silo.Cluster.HttpPort = resolved.Cluster.HttpPort; // the OpenAI-compatible API, when a command asks for it (demo --serve)
    }

    private static void Load(string file, ChorusOptions options)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"configuration file '{file}' not found");
        var full = Path.GetFullPath(file);
        IConfiguration config;
        try
        {
            config = new ConfigurationBuilder().AddJsonFile(full, optional: false).Build();
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"configuration file '{file}' is not valid JSON: {e.InnerException?.Message ?? e.Message}");
        }
        var section = config.GetSection(ChorusOptions.Section);
        if (!section.Exists()) throw new FormatException($"configuration file '{file}' has no \"{ChorusOptions.Section}\" section");
        section.Bind(options);
        var baseDirectory = Path.GetDirectoryName(full)!;
        foreach (var m in options.Models)
            if (!string.IsNullOrEmpty(m.Path)) m.Path = Path.GetFullPath(m.Path, baseDirectory);
    }

    private static string MemberId(ChorusOptions options, string value, ClusterTarget target)
    {
        if (options.Models.FirstOrDefault(m => m.Id == value) is { } configured) return configured.Id;
        if (!File.Exists(value))
            throw new FileNotFoundException($"model '{value}' is neither a GGUF file nor a model id of the configuration; " +
                "give a file path, or --endpoint URL to use the model ids of a running cluster");
        var full = Path.GetFullPath(value);
        var served = options.Models.FirstOrDefault(m => string.Equals(Path.GetFullPath(m.Path), full, StringComparison.Ordinal));
        if (served is null)
        {
            served = new ModelOptions { Id = UniqueId(options, ModelIds.FromPath(value)), Path = full, Threads = target.Threads };
            if (target.ContextSize > 0) served.ContextSize = target.ContextSize;
            options.Models.Add(served);
        }
        return served.Id;
    }

    // ggml's CPU threads spin while they wait: models that each take every core starve one another, so models
    // given as files share the cores unless --threads says otherwise.
    private static void ShareCores(ChorusOptions options, int threads)
    {
        if (threads > 0) return;
        var share = Math.Max(1, Environment.ProcessorCount / Math.Max(1, options.Models.Count));
        foreach (var m in options.Models.Where(m => m.Threads == 0)) m.Threads = share;
    }

    private static string UniqueId(ChorusOptions options, string id)
    {
        var candidate = id;
        for (var n = 2; options.Models.Any(m => m.Id == candidate); n++) candidate = $"{id}-{n}";
        return candidate;
    }
}

/// <summary>How a model named on the command line becomes a model id.</summary>
internal static class ModelIds
{
    /// <summary>A GGUF path is served under its file name without extension ("models/wiki.gguf" → "wiki").</summary>
    public static string FromPath(string path) => Path.GetFileNameWithoutExtension(path).Replace(',', '_').Replace('*', '_');

    /// <summary>An id as given, or the id a path would be served under (for --endpoint, where ids are the cluster's).</summary>
    public static string FromArgument(string value) =>
        value.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || value.Contains('/') ? FromPath(value) : value;
}
