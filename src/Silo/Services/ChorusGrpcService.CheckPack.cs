using Chorus.Api;
using Chorus.Contracts;
using Grpc.Core;

namespace Chorus.Silo.Services;

internal sealed partial class ChorusGrpcService
{
    public override async Task<CheckPackReply> CheckPack(CheckPackRequest request, ServerCallContext context)
    {
        var check = PackCheckMapping.ToRequest(request);
        Grains.RequestValidator.Check(check, Limits);
        var grain = grains.GetGrain<IPackCheckGrain>(Guid.NewGuid());
        return PackCheckMapping.ToReply(await grain.Check(check, context.CancellationToken));
    }
}
