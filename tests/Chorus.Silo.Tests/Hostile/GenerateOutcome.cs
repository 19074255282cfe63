using System.Diagnostics;
using Chorus.Api;
using Grpc.Core;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>How one Generate stream ended: its status (OK when the server closed it), what it saw and when.</summary>
internal sealed record GenerateOutcome(StatusCode Status, string Detail, IReadOnlyList<GenerateEvent> Events, TimeSpan? FirstToken, TimeSpan Elapsed)
{
    public Finished? Finished => Events.LastOrDefault(e => e.EventCase == GenerateEvent.EventOneofCase.Finished)?.Finished;

    public Started? Started => Events.FirstOrDefault(e => e.EventCase == GenerateEvent.EventOneofCase.Started)?.Started;

    public bool SawQueued => Events.Any(e => e.EventCase == GenerateEvent.EventOneofCase.Queued);

    public int Tokens => Events.Count(e => e.EventCase == GenerateEvent.EventOneofCase.Token);

    public override string ToString() =>
        $"{Status} '{Detail}' after {Elapsed.TotalMilliseconds:F0} ms; events: {string.Join(", ", Events.Select(e => e.EventCase).Distinct())}, {Tokens} tokens";

    /// <summary>
    /// Reads a Generate stream to its end. <paramref name="cancelWhen"/> is asked after every event; when it says yes,
    /// <paramref name="cancellation"/> (the call's token) is cancelled and the stream is read on until it ends.
    /// </summary>
    public static async Task<GenerateOutcome> ReadAsync(Api.Chorus.ChorusClient client, GenerateRequest request,
        CancellationTokenSource? cancellation = null, DateTime? deadline = null, Func<GenerateEvent, bool>? cancelWhen = null,
        Metadata? headers = null)
    {
        var events = new List<GenerateEvent>();
        TimeSpan? firstToken = null;
        var clock = Stopwatch.StartNew();
        try
        {
            using var call = client.Generate(request, new CallOptions(headers, deadline, cancellation?.Token ?? default));
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var e = call.ResponseStream.Current;
                events.Add(e);
                if (e.EventCase == GenerateEvent.EventOneofCase.Token) firstToken ??= clock.Elapsed;
                if (cancelWhen?.Invoke(e) == true) await (cancellation ?? throw new ArgumentNullException(nameof(cancellation))).CancelAsync();
            }
            return new GenerateOutcome(call.GetStatus().StatusCode, call.GetStatus().Detail, events, firstToken, clock.Elapsed);
        }
        catch (RpcException e)
        {
            return new GenerateOutcome(e.StatusCode, e.Status.Detail, events, firstToken, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return new GenerateOutcome(StatusCode.Cancelled, "cancelled by the client", events, firstToken, clock.Elapsed);
        }
    }
}
