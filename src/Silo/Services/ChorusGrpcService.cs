using Chorus.Api;
using Chorus.Contracts;
using Chorus.Grains;
using Grpc.Core;

namespace Chorus.Silo.Services;

/// <summary>The public API: a thin adapter — translate the request, call the grain, translate the reply (errors: <see cref="ErrorTranslationInterceptor"/>).</summary>
internal sealed class ChorusGrpcService(IGrainFactory grains, ClusterModelDirectory directory) : Api.Chorus.ChorusBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        await foreach (var e in session.Generate(ApiMapping.ToRequest(request), ct).WithCancellation(ct))
            await responseStream.WriteAsync(ApiMapping.ToEvent(e), ct);
    }

    public override async Task<ScoreReply> Score(Api.ScoreRequest request, ServerCallContext context)
    {
        var session = grains.GetGrain<IFusionSessionGrain>(Guid.NewGuid());
        return ApiMapping.ToReply(await session.Score(ApiMapping.ToRequest(request), context.CancellationToken));
    }

    public override async Task<ListModelsReply> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var reply = new ListModelsReply();
        foreach (var (id, silos) in directory.Served().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var grain = grains.GetGrain<IModelGrain>(id);
            var facts = await grain.Describe();
            var slots = await grain.Slots();
            reply.Models.Add(ApiMapping.ToDescription(facts, slots, silos.Count));
        }
        return reply;
    }

    public override async Task<TokenizeReply> Tokenize(TokenizeRequest request, ServerCallContext context)
    {
        directory.EnsureServed(request.Model);
        var (ids, pieces) = await grains.GetGrain<IModelGrain>(request.Model).Tokenize(request.Text, request.AddSpecial);
        var reply = new TokenizeReply();
        reply.Ids.AddRange(ids);
        reply.Pieces.AddRange(pieces);
        return reply;
    }

    public override async Task<StepLogitsReply> StepLogits(StepLogitsRequest request, ServerCallContext context)
    {
        directory.EnsureServed(request.Model);
        if (request.TopK < 0) throw new ChorusException(ChorusErrorKind.InvalidArgument, $"top_k must be ≥ 0 (0 = full logits), got {request.TopK}");
        var (next, count) = await grains.GetGrain<IModelGrain>(request.Model).StepLogits(request.Context, request.TopK, context.CancellationToken);
        return ApiMapping.ToReply(next, count);
    }
}
