using Chorus.Bench.Load.Client;

namespace Chorus.Bench.Load.Workloads;

/// <summary>
/// What a client does for one job: one request, or a whole chat session of several. A job draws everything it sends
/// from <see cref="JobContext.Random"/> and nothing from the server's reply but a chat's history, so every server of a
/// round is sent the same prompts in the same order.
/// </summary>
internal interface IWorkload
{
    string Name { get; }

    Task RunAsync(JobContext job, CancellationToken cancellationToken);
}

/// <summary>One job's client, server, random source and where its requests are recorded.</summary>
internal sealed record JobContext(OpenAiStreamClient Client, ServerTarget Target, Random Random, RequestLog Log);

/// <summary>The requests of one cell (server × workload × load × round), from every client at once.</summary>
internal sealed class RequestLog
{
    private readonly List<RequestResult> _results = [];
    private readonly Lock _lock = new();

    public void Add(RequestResult result)
    {
        lock (_lock) _results.Add(result);
    }

    public IReadOnlyList<RequestResult> Snapshot()
    {
        lock (_lock) return [.. _results];
    }
}
