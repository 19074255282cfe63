using Chorus.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chorus.Silo.Services;

/// <summary>Healthy when every model this silo serves has a readable file and no active replica's context has stopped decoding.</summary>
internal sealed class ModelsHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = host.Served.Where(m => !File.Exists(m.Path)).Select(m => m.Id).ToList();
        if (missing.Count > 0) return Task.FromResult(HealthCheckResult.Unhealthy($"model files missing: {string.Join(", ", missing)}"));
        var failing = host.UnhealthyReplicas;
        return Task.FromResult(failing.Count == 0
            ? HealthCheckResult.Healthy($"{host.Served.Count} model(s) served")
            : HealthCheckResult.Unhealthy($"model replicas whose decodes keep failing: {string.Join(", ", failing)}"));
    }
}
