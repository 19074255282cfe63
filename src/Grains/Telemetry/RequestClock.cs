using System.Diagnostics;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The request metrics of one generation at the gateway, from its events: waiting until <see cref="GenerationStarted"/>,
/// running until the end; queue time (to the members' slots) and prefill time; time to the first token and the mean gap
/// between later tokens; tokens; and, at the end, the end-to-end time and the outcome.
/// </summary>
internal sealed class RequestClock
{
    private readonly ChorusMetrics _metrics;
    private readonly KeyValuePair<string, object?>[] _labels;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _firstToken, _lastToken;
    private int _tokens;
    private bool _running;
    private string _status = "cancelled"; // a stream its reader left before the end
    private string _reason = RequestLabels.None;

    public RequestClock(ChorusMetrics metrics, KeyValuePair<string, object?>[] labels)
    {
        _metrics = metrics;
        _labels = labels;
        metrics.WaitingSessions.Add(1, labels);
    }

    public void Observe(GenerationEvent e)
    {
        switch (e)
        {
            case GenerationStarted started:
                if (_running) break;
                _running = true;
                _metrics.WaitingSessions.Add(-1, _labels);
                _metrics.RunningSessions.Add(1, _labels);
                var prefill = started.PrefillMilliseconds / 1000;
                _metrics.RequestPrefillTime.Record(prefill, _labels);
                _metrics.RequestQueueTime.Record(Math.Max(0, Stopwatch.GetElapsedTime(_start).TotalSeconds - prefill), _labels);
                break;
            case GeneratedToken { TokenId: >= 0 }:
                _lastToken = Stopwatch.GetTimestamp();
                if (_tokens++ == 0)
                {
                    _firstToken = _lastToken;
                    _metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(_start, _firstToken).TotalSeconds, _labels);
                }
                _metrics.Tokens.Add(1, _labels);
                break;
            case GenerationFinished finished:
                _status = "ok";
                _reason = finished.Reason;
                _metrics.PromptTokens.Add(finished.PromptTokens, _labels);
                break;
        }
    }

    public void Failed(string status) => _status = status;

    public void End()
    {
        if (_running) _metrics.RunningSessions.Add(-1, _labels);
        else _metrics.WaitingSessions.Add(-1, _labels);
        _metrics.RequestDuration.Record(Stopwatch.GetElapsedTime(_start).TotalSeconds, _labels);
        if (_tokens >= 2)
            _metrics.InterTokenLatency.Record(Stopwatch.GetElapsedTime(_firstToken, _lastToken).TotalSeconds / (_tokens - 1), _labels);
        KeyValuePair<string, object?>[] outcome = [.. _labels, new("status", _status), new("finish_reason", _reason)];
        _metrics.Requests.Add(1, outcome);
    }
}
