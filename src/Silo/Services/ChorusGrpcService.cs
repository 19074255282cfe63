using Chorus.Api;
using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Gateway;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Chorus.Silo.Services;

/// <summary>
/// The public API: a thin adapter — translate the request, call the grain (generations and scoring through the
/// <see cref="GenerationGateway"/> the HTTP API shares: checks, drain, session start and end), translate the reply
/// (errors: <see cref="ErrorTranslationInterceptor"/>; requests that are not valid protobuf or UTF-8: <see cref="CheckedChorusBinding"/>).
/// </summary>
[BindServiceMethod(typeof(CheckedChorusBinding), nameof(CheckedChorusBinding.BindService))]
internal sealed partial class ChorusGrpcService(
    IGrainFactory grains, ClusterModelDirectory directory, IOptions<ChorusOptions> options, GenerationGateway gateway)
    : Api.Chorus.ChorusBase
{
    private Grains.SessionOptions Limits => options.Value.Sessions;

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> responseStream, ServerCallContext context)
    {
        await foreach (var e in gateway.Generate(ApiMapping.ToRequest(request), Call(context)))
            await responseStream.WriteAsync(ApiMapping.ToEvent(e), context.CancellationToken);
    }

    public override async Task<ScoreReply> Score(Api.ScoreRequest request, ServerCallContext context) =>
        ApiMapping.ToReply(await gateway.Score(ApiMapping.ToRequest(request), Call(context)));

    private static GatewayCall Call(ServerCallContext context) =>
        new(RequestLabels.Grpc, context.GetHttpContext().TraceIdentifier, context.CancellationToken);

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
        // a model active in this silo is reached without an Orleans message, as a session reaches its members
        var (next, count) = await ModelGrains.Get(grains, request.Model).StepLogits(request.Context, request.TopK, context.CancellationToken);
        return ApiMapping.ToReply(next, count);
    }
}
