using System.Diagnostics;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// Chorus' tracing: one <see cref="ActivitySource"/> ("Chorus") whose spans make one trace per request — the gateway
/// (<c>chorus.generate</c>), the session (<c>chorus.session</c>, one event per step) and each member's admission and
/// prefill (<c>chorus.member.admit</c>, <c>chorus.member.prefill</c>) on whichever silo serves it. Orleans' activity
/// propagation carries the trace context across silos; the request and session ids travel in the Orleans request
/// context for the logging scope (<see cref="SessionLogScope"/>).
/// </summary>
public static class ChorusTelemetry
{
    public const string SourceName = "Chorus";

    /// <summary>The Orleans request-context keys of the request id and the session id.</summary>
    public const string RequestIdKey = "chorus.request", SessionIdKey = "chorus.session";

    /// <summary>The Orleans activity sources whose grain-call spans link the silos (Orleans' AddActivityPropagation).</summary>
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application", OrleansRuntimeSource = "Microsoft.Orleans.Runtime";

    /// <summary>The Orleans request-context key that marks a member's prefill call (<see cref="PrefillCall"/>).</summary>
    public const string PrefillCallKey = "chorus.prefill";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// Marks the grain calls made until the scope ends as a member's prefill. The model grain's one edit verb serves every
    /// step too, whose calls have no span; the prefill's call links the session's trace to the member's silo and keeps its
    /// span. The trace sampler reads the mark on both ends of the call (the request context travels with it).
    /// </summary>
    public static PrefillScope PrefillCall()
    {
        RequestContext.Set(PrefillCallKey, true);
        return default;
    }

    /// <summary>True inside <see cref="PrefillCall"/>, on the caller's side and in the grain call it makes.</summary>
    public static bool IsPrefillCall => RequestContext.Get(PrefillCallKey) is true;

    /// <summary>Ends a <see cref="PrefillCall"/> mark.</summary>
    public readonly struct PrefillScope : IDisposable
    {
        public void Dispose() => RequestContext.Remove(PrefillCallKey);
    }

    /// <summary>
    /// A span of one member's work on the silo that serves it, tagged with the model and the silo. Not made current when
    /// <paramref name="current"/> is false (for async iterators, whose ambient state does not survive a yield).
    /// </summary>
    internal static Activity? StartMemberSpan(string name, string model, object silo, bool current = true)
    {
        if (!Source.HasListeners()) return null;
        var parent = Activity.Current;
        var span = Source.CreateActivity(name, ActivityKind.Internal, parent?.Context ?? default);
        if (span is null) return null;
        span.SetTag("chorus.model", model);
        span.SetTag("chorus.silo", silo.ToString());
        if (current) return span.Start();
        span.Start();
        Activity.Current = parent; // recorded, but the caller's ambient span stays current
        return span;
    }
}
