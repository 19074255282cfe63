using Chorus.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chorus.Silo.Services;

/// <summary>Healthy when every model this silo serves has a readable file.</summary>
internal sealed class ModelsHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = host.Served.Where(m => !File.Exists(m.Path)).Select(m => m.Id).ToList();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy($"{host.Served.Count} model(s) served")
            : HealthCheckResult.Unhealthy($"model files missing: {string.Join(", ", missing)}"));
    }
}
