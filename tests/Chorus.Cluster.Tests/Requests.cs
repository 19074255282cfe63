using Chorus.Contracts;

namespace Chorus.Cluster.Tests;

/// <summary>Request builders and stream helpers shared by the cluster tests.</summary>
internal static class Requests
{
    public static GenerationRequest Greedy(string prompt, int maxTokens, string? method, params string[] models) =>
        new(new MemberSelection(null, models), method, [], prompt, new SamplingSpec(Temperature: 0), maxTokens, ShowWeights: true);

    public static async Task<(List<GeneratedToken> Tokens, GenerationFinished Finished, GenerationStarted Started)> Collect(
        IClusterClient client, GenerationRequest request, CancellationToken ct = default)
    {
        var tokens = new List<GeneratedToken>();
        GenerationFinished? finished = null;
        GenerationStarted? started = null;
        await foreach (var e in client.GetGrain<IFusionSessionGrain>(Guid.NewGuid()).Generate(request, ct).WithCancellation(ct))
        {
            switch (e)
            {
                case GenerationStarted s: started = s; break;
                case GeneratedToken t when t.TokenId >= 0: tokens.Add(t); break;
                case GenerationFinished f: finished = f; break;
            }
        }
        return (tokens, finished ?? throw new InvalidOperationException("stream ended without a Finished event"), started!);
    }
}
