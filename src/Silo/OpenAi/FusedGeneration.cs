using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.Extensions.Logging;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// One fused generation on a new session grain, for the HTTP front end. When the enumeration does not run to its end
/// (the client disconnected, a write failed, the consumer stopped) the session is ended at once, freeing its slots —
/// as the gRPC service does — rather than when Orleans collects the abandoned enumerator.
/// </summary>
internal static class FusedGeneration
{
    public static async IAsyncEnumerable<GenerationEvent> RunAsync(IGrainFactory grains, GenerationTelemetry telemetry, GenerationRequest request, string requestId,
        ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        var completed = false;
        try
        {
            await foreach (var e in telemetry.Generate(session, request, RequestLabels.Http, requestId, cancellationToken))
                yield return e;
            completed = true;
        }
        finally
        {
            if (!completed) await EndQuietly(session, logger);
        }
    }

    private static async Task EndQuietly(IFusionSessionGrain session, ILogger logger)
    {
        try
        {
            await session.End().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (Exception e)
        {
            // the request's own error is what the client gets; the idle sweep remains the safety net for these slots
            logger.LogWarning("could not end session {Session} after its HTTP client left: {Reason}", session.GetPrimaryKey(), e.Message);
        }
    }
}
