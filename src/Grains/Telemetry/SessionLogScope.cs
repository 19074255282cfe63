using System.Collections;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// Opens a logging scope with the request id and session id on every grain call that carries them in the Orleans request
/// context (the gateway puts them there), so every line a session logs — on the session's silo and on the members'
/// silos — names both. The session's read-ahead pump starts inside the first call and keeps the scope for its whole run.
/// </summary>
internal sealed class SessionLogScope(ILoggerFactory loggers) : IIncomingGrainCallFilter
{
    private readonly ILogger _logger = loggers.CreateLogger("Chorus.Session");

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var request = RequestContext.Get(ChorusTelemetry.RequestIdKey) as string;
        var session = RequestContext.Get(ChorusTelemetry.SessionIdKey) as string;
        if (request is null && session is null)
        {
            await context.Invoke();
            return;
        }
        using var scope = _logger.BeginScope(new RequestScope(request, session));
        await context.Invoke();
    }
}

/// <summary>The state of a request's logging scope: JSON logs get <c>RequestId</c> and <c>SessionId</c> keys, plain logs a "RequestId:… SessionId:…" prefix.</summary>
public sealed class RequestScope(string? requestId, string? sessionId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string? RequestId { get; } = requestId;
    public string? SessionId { get; } = sessionId;

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("RequestId", RequestId),
        1 => new("SessionId", SessionId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"RequestId:{RequestId} SessionId:{SessionId}";
}
