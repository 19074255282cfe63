using System.Diagnostics;
using Chorus.Api;
using Grpc.Core;

namespace Chorus.Bench.Reliability;

/// <summary>How one Generate stream ended, with its timings: first answer (event or status), first token, end.</summary>
internal sealed record StreamResult(StatusCode Status, string Detail, string? Reason, int Tokens, bool SawQueued,
    double FirstAnswerMs, double? FirstTokenMs, double TotalMs)
{
    /// <summary>Reads a stream to its end; after each event <paramref name="cancelWhen"/> may cancel <paramref name="cancellation"/>.</summary>
    public static async Task<StreamResult> ReadAsync(Api.Chorus.ChorusClient client, GenerateRequest request, CancellationTokenSource cancellation,
        DateTime? deadline = null, Func<GenerateEvent, bool>? cancelWhen = null, Metadata? headers = null)
    {
        var clock = Stopwatch.StartNew();
        double? firstAnswer = null, firstToken = null;
        var tokens = 0;
        var queued = false;
        string? reason = null;
        try
        {
            using var call = client.Generate(request, new CallOptions(headers, deadline ?? DateTime.UtcNow.AddMinutes(5), cancellation.Token));
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var e = call.ResponseStream.Current;
                firstAnswer ??= clock.Elapsed.TotalMilliseconds;
                switch (e.EventCase)
                {
                    case GenerateEvent.EventOneofCase.Queued: queued = true; break;
                    case GenerateEvent.EventOneofCase.Token when e.Token.TokenId >= 0:
                        tokens++;
                        firstToken ??= clock.Elapsed.TotalMilliseconds;
                        break;
                    case GenerateEvent.EventOneofCase.Finished: reason = e.Finished.Reason; break;
                }
                if (cancelWhen?.Invoke(e) == true) await cancellation.CancelAsync();
            }
            var status = call.GetStatus();
            return new(status.StatusCode, status.Detail, reason, tokens, queued, firstAnswer ?? clock.Elapsed.TotalMilliseconds, firstToken, clock.Elapsed.TotalMilliseconds);
        }
        catch (RpcException e)
        {
            return new(e.StatusCode, e.Status.Detail, reason, tokens, queued, firstAnswer ?? clock.Elapsed.TotalMilliseconds, firstToken, clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            return new(StatusCode.Cancelled, "cancelled by the client", reason, tokens, queued, firstAnswer ?? clock.Elapsed.TotalMilliseconds, firstToken, clock.Elapsed.TotalMilliseconds);
        }
    }

    public static GenerateRequest Request(IEnumerable<string> models, int maxTokens, string prompt = Prompt)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Prompt = prompt,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        request.Members.Models.AddRange(models);
        return request;
    }

    public const string Prompt = "The history of the river valley begins with the first farmers who settled along its banks, and";
}
