using Chorus.Api;
using Chorus.Contracts;
using Chorus.Grains;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Silo.Services;

/// <summary>
/// The public API: a thin adapter — check the request (<see cref="RequestValidator"/>), call the grain, translate the reply
/// (errors: <see cref="ErrorTranslationInterceptor"/>; requests that are not valid protobuf or UTF-8: <see cref="CheckedChorusBinding"/>).
/// </summary>
[BindServiceMethod(typeof(CheckedChorusBinding), nameof(CheckedChorusBinding.BindService))]
internal sealed partial class ChorusGrpcService(
    IGrainFactory grains, ClusterModelDirectory directory, IOptions<ChorusOptions> options, SiloDrain drain, ILocalSiloDetails silo, ILogger<ChorusGrpcService> logger,
    GenerationTelemetry telemetry)
    : Api.Chorus.ChorusBase
{
    private Grains.SessionOptions Limits => options.Value.Sessions;

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> responseStream, ServerCallContext context)
    {
        var generation = ApiMapping.ToRequest(request);
        RequestValidator.Check(generation, Limits);
        using var drained = drain.Enter(silo.SiloAddress.ToString());
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, drain.Expired);
        var ct = call.Token;
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        var completed = false;
        try
        {
            // the drain cancels the session, never a write: a cancelled write resets the stream and the client would not see why
            await foreach (var e in telemetry.Generate(session, generation, RequestLabels.Grpc, context.GetHttpContext().TraceIdentifier, ct))
                await responseStream.WriteAsync(ApiMapping.ToEvent(e), context.CancellationToken);
            completed = true;
        }
        catch (Exception e) when (drain.CutShort(e, context.CancellationToken))
        {
            throw DrainRanOut();
        }
        finally
        {
            // the stream did not run to its end (client gone, deadline, failure — even right after Finished, before the
            // session's own cleanup ran): free the session's slots now rather than when Orleans collects the enumerator
            if (!completed) await EndQuietly(session);
        }
    }

    private async Task EndQuietly(IFusionSessionGrain session)
    {
        try
        {
            await session.End().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (Exception e)
        {
            // the stream's own error is what the client gets; the idle sweep remains the safety net for these slots
            logger.LogWarning("could not end session {Session} after its client left: {Reason}", session.GetPrimaryKey(), e.Message);
        }
    }

    public override async Task<ScoreReply> Score(Api.ScoreRequest request, ServerCallContext context)
    {
        var score = ApiMapping.ToRequest(request);
        RequestValidator.Check(score, Limits);
        using var drained = drain.Enter(silo.SiloAddress.ToString());
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, drain.Expired);
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        try
        {
            return ApiMapping.ToReply(await session.Score(score, call.Token));
        }
        catch (Exception e) when (drain.CutShort(e, context.CancellationToken))
        {
            throw DrainRanOut();
        }
    }

    private ChorusException DrainRanOut() => SiloDrain.RanOut(silo.SiloAddress.ToString(), options.Value.Sessions.DrainSeconds);

    public override async Task<ListModelsReply> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var reply = new ListModelsReply();
        foreach (var (id, silos) in directory.Served().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var grain = grains.GetGrain<IModelGrain>(id);
            var facts = await grain.Describe();
            var slots = await grain.Slots();
            reply.Models.Add(ApiMapping.ToDescription(facts, slots, silos.Count));
            for (var r = 0; r < directory.Replicas(id); r++)
            {
                var key = r == 0 ? id : $"{id}/{r}";
                var replica = r == 0 ? grain : grains.GetGrain<IModelGrain>(key);
                reply.Replicas.Add(ApiMapping.ToReplica(key, r == 0 ? facts : await replica.Describe(), r == 0 ? slots : await replica.Slots()));
            }
        }
        reply.Packs.AddRange(options.Value.Packs.Select(ApiMapping.ToPack));
        reply.Methods.AddRange(Fusion.FusionMethods.Names.Select(n => new MethodDescription { Name = n }));
        return reply;
    }

    public override async Task<TokenizeReply> Tokenize(TokenizeRequest request, ServerCallContext context)
    {
        RequestValidator.CheckText(request.Text, "text", Limits);
        directory.EnsureServed(request.Model);
        var (ids, pieces) = await grains.GetGrain<IModelGrain>(request.Model).Tokenize(request.Text, request.AddSpecial);
        var reply = new TokenizeReply();
        reply.Ids.AddRange(ids);
        reply.Pieces.AddRange(pieces);
        return reply;
    }

    public override async Task<StepLogitsReply> StepLogits(StepLogitsRequest request, ServerCallContext context)
    {
        RequestValidator.CheckText(request.Context, "context", Limits);
        directory.EnsureServed(request.Model);
        if (request.TopK < 0) throw new ChorusException(ChorusErrorKind.InvalidArgument, $"top_k must be ≥ 0 (0 = full logits), got {request.TopK}");
        var (next, count) = await grains.GetGrain<IModelGrain>(request.Model).StepLogits(request.Context, request.TopK, context.CancellationToken);
        return ApiMapping.ToReply(next, count);
    }
}
