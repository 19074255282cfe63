namespace Chorus.Bench.Load.Workloads;

/// <summary>The workloads by name.</summary>
internal static class WorkloadCatalog
{
    public static IWorkload Create(string name, LoadSettings settings, PromptCorpus corpus) => name switch
    {
        "single" => new SingleWorkload(corpus, settings.MaxTokens),
        "chat" => new ChatWorkload(corpus, settings.Turns),
        "mixed" => new MixedWorkload(corpus, settings.MaxTokens, settings.LongShare, settings.LongTokens),
        _ => throw new ArgumentException($"unknown workload '{name}' (single, chat, mixed)"),
    };
}
