using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chorus.Silo.Gateway;

/// <summary>Registers the <see cref="GenerationGateway"/> that both front ends share (once, whichever adds it first).</summary>
internal static class GatewayServices
{
    public static IServiceCollection AddGenerationGateway(this IServiceCollection services)
    {
        services.TryAddSingleton<GenerationGateway>();
        return services;
    }
}
