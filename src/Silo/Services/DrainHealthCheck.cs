using Chorus.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chorus.Silo.Services;

/// <summary>NOT_SERVING once the silo drains, so a load balancer (Kubernetes readiness) stops sending it new sessions.</summary>
internal sealed class DrainHealthCheck(SiloDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining ? HealthCheckResult.Unhealthy("shutting down (draining)") : HealthCheckResult.Healthy());
}
