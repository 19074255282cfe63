using Chorus.Grains;

namespace Chorus.Client.Cluster;

/// <summary>A drafter given as a GGUF file (<c>--drafter FILE</c>) is served by the in-process silo too, under its file name.</summary>
internal static class DraftingModel
{
    public static Action<ChorusOptions> Serve(Action<ChorusOptions>? configure, string file, ClusterTarget target) => options =>
    {
        configure?.Invoke(options);
        var full = Path.GetFullPath(file);
        if (options.Models.Any(m => string.Equals(Path.GetFullPath(m.Path), full, StringComparison.Ordinal))) return;
        var model = new ModelOptions { Id = ModelIds.FromPath(file), Path = full, Threads = target.Threads };
        if (target.ContextSize > 0) model.ContextSize = target.ContextSize;
        options.Models.Add(model);
    };
}
