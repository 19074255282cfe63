using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The <c>chorus.session</c> span of one generation on the session's silo, current for the whole run so that every member
/// call (and Orleans' propagation to other silos) is its child. Each step is an event on it — the first
/// <see cref="MaxStepEvents"/> of them, then a count — rather than a span, so a long generation stays one readable trace.
/// Also counts the silo's active sessions, for every loop (token, speculative, byte).
/// </summary>
internal sealed class SessionTrace : IDisposable
{
    public const int MaxStepEvents = 256;
    private readonly Activity? _span;
    private readonly ChorusMetrics _metrics;
    private int _steps;

    private SessionTrace(Activity? span, ChorusMetrics metrics)
    {
        _span = span;
        _metrics = metrics;
        metrics.ActiveSessions.Add(1);
    }

    /// <summary>Starts the span (current from here on in the caller's flow).</summary>
    public static SessionTrace Start(Guid session, string silo, ChorusMetrics metrics)
    {
        var span = ChorusTelemetry.Source.StartActivity("chorus.session");
        span?.SetTag("chorus.session_id", session.ToString());
        span?.SetTag("chorus.silo", silo);
        return new SessionTrace(span, metrics);
    }

    /// <summary>Passes the events on, recording steps and the outcome on the span.</summary>
    public async IAsyncEnumerable<GenerationEvent> Observe(IAsyncEnumerable<GenerationEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            if (_span is not null) Record(_span, e);
            yield return e;
        }
    }

    private void Record(Activity span, GenerationEvent e)
    {
        switch (e)
        {
            case GenerationStarted started:
                span.SetTag("chorus.method", started.Method);
                span.AddEvent(new ActivityEvent("prefilled", tags: new ActivityTagsCollection { ["chorus.prefill_ms"] = started.PrefillMilliseconds }));
                break;
            case GeneratedToken { TokenId: >= 0 } token when ++_steps <= MaxStepEvents:
                span.AddEvent(new ActivityEvent("step", tags: new ActivityTagsCollection
                {
                    ["chorus.index"] = token.Index, ["chorus.fuse_ms"] = token.FuseMilliseconds, ["chorus.step_ms"] = token.StepMilliseconds,
                }));
                break;
            case GenerationFinished finished:
                span.SetTag("chorus.finish_reason", finished.Reason);
                span.SetTag("chorus.prompt_tokens", finished.PromptTokens);
                span.SetTag("chorus.completion_tokens", finished.CompletionTokens);
                if (_steps > MaxStepEvents) span.SetTag("chorus.step_events_dropped", _steps - MaxStepEvents);
                break;
        }
    }

    public void Dispose()
    {
        _metrics.ActiveSessions.Add(-1);
        _span?.Dispose();
    }
}
