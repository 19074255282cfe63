using Chorus.Bench.Load.Client;

namespace Chorus.Bench.Load.Workloads;

/// <summary><c>single</c>: one completion of a 30–60-word prompt, a fixed number of tokens.</summary>
internal sealed class SingleWorkload(PromptCorpus corpus, int maxTokens) : IWorkload
{
    public string Name => "single";

    public async Task RunAsync(JobContext job, CancellationToken cancellationToken)
    {
        var request = CompletionRequest.Completion("short", corpus.Words(job.Random, 30, 60), maxTokens);
        job.Log.Add(await job.Client.SendAsync(job.Target, request, cancellationToken));
    }
}
