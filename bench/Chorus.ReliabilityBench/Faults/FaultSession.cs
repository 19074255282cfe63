using System.Diagnostics;
using Chorus.Api;
using Chorus.Client.Cluster;
using Grpc.Core;

namespace Chorus.Bench.Reliability.Faults;

/// <summary>
/// One generation under a fault: how it ended (finish reason or gRPC status) and when, and when its first token came
/// (NaN: none), on a clock shared by the bench.
/// </summary>
internal sealed record FaultSession(string Members, string Ending, double EndedAtSeconds, int Tokens, double FirstTokenAtSeconds)
{
    /// <summary>True when the session streamed before <paramref name="seconds"/> (it was under way, not waiting for slots).</summary>
    public bool StreamedBefore(double seconds) => FirstTokenAtSeconds < seconds;

    public static GenerateRequest Request(string[] members, int maxTokens)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Method = members.Length == 1 ? "single" : "uniform", Prompt = "The history of the city",
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        request.Members.Models.AddRange(members);
        return request;
    }

    /// <summary>Runs to the end; <paramref name="started"/> is set at the first token (the session is under way).</summary>
    public static async Task<FaultSession> RunAsync(ChorusApiClient client, string[] members, int maxTokens, Stopwatch clock, TimeSpan timeout,
        TaskCompletionSource? started = null)
    {
        using var hang = new CancellationTokenSource(timeout);
        var tokens = 0;
        var first = double.NaN;
        try
        {
            string? reason = null;
            await foreach (var e in client.GenerateAsync(Request(members, maxTokens), hang.Token))
            {
                if (e.Token is not null && ++tokens == 1)
                {
                    first = clock.Elapsed.TotalSeconds;
                    started?.TrySetResult();
                }
                if (e.Finished is not null) reason = e.Finished.Reason;
            }
            return new(string.Join('+', members), reason ?? "no finish event", clock.Elapsed.TotalSeconds, tokens, first);
        }
        catch (RpcException e)
        {
            return new(string.Join('+', members), e.StatusCode.ToString(), clock.Elapsed.TotalSeconds, tokens, first);
        }
        catch (OperationCanceledException)
        {
            return new(string.Join('+', members), $"no end within {timeout.TotalSeconds:F0} s", clock.Elapsed.TotalSeconds, tokens, first);
        }
        finally
        {
            started?.TrySetResult();
        }
    }

    /// <summary>A short generation's outcome in words: its finish reason, or its gRPC status and detail.</summary>
    public static async Task<string> OutcomeAsync(ChorusApiClient client, string[] members)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var reason = "no finish event";
            await foreach (var e in client.GenerateAsync(Request(members, 4), timeout.Token))
                if (e.Finished is not null) reason = e.Finished.Reason;
            return reason;
        }
        catch (RpcException e)
        {
            return $"{e.StatusCode}: {Report.Shorten(e.Status.Detail, 70)}";
        }
    }
}
