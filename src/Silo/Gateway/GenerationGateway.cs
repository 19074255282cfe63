using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Silo.Gateway;

/// <summary>
/// The one door of every front end (gRPC <c>Generate</c>/<c>Score</c>, HTTP completions and chat completions): it checks
/// the request once (<see cref="RequestValidator"/>, which modes combine included), refuses while the silo drains,
/// starts the session grain, streams its events, ends the session when the stream does not run to its end, and turns
/// a failure into one <see cref="ChorusException"/> (<see cref="SessionFailures"/>). A front end maps its DTOs to and
/// from the grain's records and the exception's kind to its status codes, nothing else.
/// </summary>
internal sealed class GenerationGateway(
    IGrainFactory grains, IOptions<ChorusOptions> options, SiloDrain drain, ILocalSiloDetails silo, GenerationTelemetry telemetry,
    ILogger<GenerationGateway> logger)
{
    /// <summary>
    /// A fused generation's events. Nothing runs until the first <c>MoveNextAsync</c>, and every refusal comes from that
    /// first call, before any event — so a front end still answers it with its own status code.
    /// </summary>
    public async IAsyncEnumerable<GenerationEvent> Generate(GenerationRequest request, GatewayCall call)
    {
        RequestValidator.Check(request, options.Value);
        using var admitted = drain.Enter(SiloName);
        // the drain cancels the session, never the front end's write: a cut write resets the stream and the client would not read why
        using var running = CancellationTokenSource.CreateLinkedTokenSource(call.Client, drain.Expired);
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        var completed = false;
        var events = telemetry.Generate(session, request, call.FrontEnd, call.RequestId, running.Token).GetAsyncEnumerator(running.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync()) break;
                }
                catch (Exception e)
                {
                    throw Failure(e, call);
                }
                yield return events.Current;
            }
            completed = true;
        }
        finally
        {
            await events.DisposeAsync();
            // the stream did not run to its end (client gone, deadline, failure, a front end that stopped reading after
            // Finished): free the session's slots now rather than when Orleans collects the grain-side enumerator
            if (!completed) await EndQuietly(session);
        }
    }

    /// <summary>Per-member and fused perplexity of a text, behind the same checks, drain and ending as a generation.</summary>
    public async Task<ScoreResult> Score(ScoreRequest request, GatewayCall call)
    {
        RequestValidator.Check(request, options.Value.Sessions);
        using var admitted = drain.Enter(SiloName);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(call.Client, drain.Expired);
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        try
        {
            return await session.Score(request, running.Token);
        }
        catch (Exception e)
        {
            await EndQuietly(session);
            throw Failure(e, call);
        }
    }

    private string SiloName => silo.SiloAddress.ToString();

    private ChorusException Failure(Exception e, GatewayCall call) =>
        SessionFailures.Of(e, call, drain, () => SiloDrain.RanOut(SiloName, options.Value.Sessions.DrainSeconds));

    private async Task EndQuietly(IFusionSessionGrain session)
    {
        try
        {
            await session.End().WaitAsync(EndWithin, CancellationToken.None);
        }
        catch (Exception e)
        {
            // the request's own outcome is what the client gets; the idle sweep remains the safety net for these slots
            logger.LogWarning("could not end session {Session} after its stream stopped: {Reason}", session.GetPrimaryKey(), e.Message);
        }
    }

    private static readonly TimeSpan EndWithin = TimeSpan.FromSeconds(10);
}
