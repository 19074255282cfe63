using Chorus.Grains;
using OpenTelemetry.Trace;

namespace Chorus.Silo;

/// <summary>
/// Chorus' trace sampler: parent-based with <c>Chorus:Telemetry:SampleRatio</c> for new traces, and — unless
/// <c>StepSpans</c> is on — no span for the grain calls a generation makes once per step (a member's edit: append, text
/// sync, verification, draft; the stream's next batch). Those would be hundreds of spans per request; each step is an
/// event on the session span instead. The calls that link silos (admission, prefill, the session itself) keep their
/// spans: a prefill is an edit too, marked as such in the request context (<see cref="ChorusTelemetry.PrefillCall"/>).
/// </summary>
internal sealed class StepCallSampler(TelemetryOptions options) : Sampler
{
    // Orleans names a grain call's span "<interface>/<method>"; a streamed result's later batches are the enumeration
    // extension's MoveNext<T> (its first batch comes with StartEnumeration<T>, which stays: the session and admission
    // spans start inside it)
    private static readonly string[] PerStepMethods =
        ["/Edit", "/MoveNext<T>", "/Slots"];

    private readonly Sampler _inner = new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(options.SampleRatio, 0, 1)));

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (!options.StepSpans && IsPerStep(samplingParameters.Name) && !ChorusTelemetry.IsPrefillCall) return new SamplingResult(SamplingDecision.Drop);
        return _inner.ShouldSample(samplingParameters);
    }

    internal static bool IsPerStep(string name)
    {
        foreach (var method in PerStepMethods)
            if (name.EndsWith(method, StringComparison.Ordinal)) return true;
        return false;
    }
}
