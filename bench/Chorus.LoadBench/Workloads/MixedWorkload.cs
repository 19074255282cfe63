using Chorus.Bench.Load.Client;

namespace Chorus.Bench.Load.Workloads;

/// <summary>
/// <c>mixed</c>: mostly <c>single</c>'s short prompts, and a share of long ones (~2k tokens) — what stalls decoding
/// sessions when a prefill is not chunked. Each server needs a context of at least the long prompt plus the reply per
/// sequence.
/// </summary>
internal sealed class MixedWorkload(PromptCorpus corpus, int maxTokens, double longShare, int longTokens) : IWorkload
{
    public string Name => "mixed";

    public async Task RunAsync(JobContext job, CancellationToken cancellationToken)
    {
        var isLong = job.Random.NextDouble() < longShare;
        var prompt = isLong ? corpus.Words(job.Random, (int)(longTokens / PromptCorpus.TokensPerWord)) : corpus.Words(job.Random, 30, 60);
        var request = CompletionRequest.Completion(isLong ? "long" : "short", prompt, maxTokens);
        job.Log.Add(await job.Client.SendAsync(job.Target, request, cancellationToken));
    }
}
