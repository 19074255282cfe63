using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// The gateway's view of one generation, the same for every front end: the <c>chorus.generate</c> span (the root of the
/// request's trace in Chorus), the request and session ids in the Orleans request context (for the logging scope on every
/// silo), and the request metrics — waiting and running sessions, time to first token, inter-token latency, end-to-end
/// time, queue and prefill time, tokens, and the outcome. Measured from the events the session streams, so the token,
/// speculative and byte loops count alike.
/// </summary>
public sealed class GenerationTelemetry(ChorusMetrics metrics, IOptions<ChorusOptions> options, ClusterModelDirectory directory)
{
    /// <summary>Runs the generation on <paramref name="session"/> and passes its events on, observed.</summary>
    public async IAsyncEnumerable<GenerationEvent> Generate(IFusionSessionGrain session, GenerationRequest request, string frontEnd, string requestId,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var labels = RequestLabels.Of(request, frontEnd, options.Value, directory);
        var sessionId = session.GetPrimaryKey().ToString();
        using var span = StartSpan(labels, requestId, sessionId);
        var run = new RequestClock(metrics, labels);
        IAsyncEnumerator<GenerationEvent>? events = null;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    // the iterator's ambient state is gone after each yield: the span and ids are set again before every call out
                    Enter(span, requestId, sessionId);
                    events ??= session.Generate(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    more = await events.MoveNextAsync();
                }
                catch (Exception e)
                {
                    run.Failed(StatusOf(e));
                    span?.SetStatus(ActivityStatusCode.Error, e.Message);
                    throw;
                }
                if (!more) break;
                run.Observe(events.Current);
                if (events.Current is GenerationFinished finished) span?.SetTag("chorus.finish_reason", finished.Reason);
                yield return events.Current;
            }
        }
        finally
        {
            if (events is not null) await events.DisposeAsync();
            run.End();
        }
    }

    private static Activity? StartSpan(KeyValuePair<string, object?>[] labels, string requestId, string sessionId)
    {
        // ASP.NET Core makes an unrecorded activity per request when nobody traces HTTP: a span under it would be sampled
        // out. Parent on the caller's own span when the request brought one (traceparent), else start the trace here.
        var parent = default(ActivityContext);
        if (Activity.Current is { Recorded: false } unrecorded)
        {
            if (unrecorded.HasRemoteParent)
                parent = new ActivityContext(unrecorded.TraceId, unrecorded.ParentSpanId, unrecorded.ActivityTraceFlags, unrecorded.TraceStateString, isRemote: true);
            Activity.Current = null;
        }
        var span = ChorusTelemetry.Source.StartActivity("chorus.generate", ActivityKind.Server, parent);
        if (span is null) return null;
        foreach (var (key, value) in labels) span.SetTag("chorus." + key, value);
        span.SetTag("chorus.request_id", requestId);
        span.SetTag("chorus.session_id", sessionId);
        return span;
    }

    private static void Enter(Activity? span, string requestId, string sessionId)
    {
        if (span is not null) Activity.Current = span;
        if (RequestContext.Get(ChorusTelemetry.RequestIdKey) as string != requestId) RequestContext.Set(ChorusTelemetry.RequestIdKey, requestId);
        if (RequestContext.Get(ChorusTelemetry.SessionIdKey) as string != sessionId) RequestContext.Set(ChorusTelemetry.SessionIdKey, sessionId);
    }

    /// <summary>The <c>status</c> label of a generation that failed: the error kind in snake case.</summary>
    public static string StatusOf(Exception e) => e switch
    {
        ChorusException c => Snake(c.Kind.ToString()),
        OperationCanceledException => "cancelled",
        TimeoutException => "deadline_exceeded",
        _ => "internal",
    };

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
