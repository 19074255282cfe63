using System.Text.Json;
using Chorus.Silo.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chorus.Silo;

/// <summary>
/// Health over HTTP, from the checks the gRPC health service reports: <c>/health</c> (liveness: only what a restart can
/// cure — the models) and <c>/ready</c> (readiness: every check — models, drain, membership store), on the HTTP port and the
/// metrics port; <c>/healthz</c> stays on the metrics port as liveness. 200 when healthy, 503 with the failing checks
/// named otherwise; open without an API key, like the gRPC health service.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>The tag of the checks that make up liveness (and the gRPC health service name of the liveness probe).</summary>
    public const string Liveness = "liveness";

    public static readonly string[] OpenPaths = ["/health", "/ready", "/healthz"];

    public static IHealthChecksBuilder AddChorusHealthChecks(this IServiceCollection services) =>
        // "" (readiness): every check, draining included; "liveness": only what a restart can cure (a drain must not restart the pod)
        services.AddGrpcHealthChecks(o => o.Services.Map(Liveness, r => r.Tags.Contains(Liveness)))
            .AddCheck<ModelsHealthCheck>("models", tags: [Liveness])
            .AddCheck<DrainHealthCheck>("drain")
            .AddCheck<MembershipHealthCheck>("membership");

    public static void UseChorusHealth(this WebApplication app, int httpPort, int metricsPort)
    {
        ArgumentNullException.ThrowIfNull(app);
        var live = new HealthCheckOptions { Predicate = r => r.Tags.Contains(Liveness), ResponseWriter = WriteAsync };
        var ready = new HealthCheckOptions { ResponseWriter = WriteAsync };
        foreach (var port in new[] { httpPort, metricsPort }.Where(p => p > 0).Distinct())
        {
            app.UseHealthChecks("/health", port, live);
            app.UseHealthChecks("/ready", port, ready);
        }
        if (metricsPort > 0) app.UseHealthChecks("/healthz", metricsPort, live);
    }

    // {"status":"Unhealthy","checks":{"drain":{"status":"Unhealthy","description":"shutting down (draining)"},…}}
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, string?>
            {
                ["status"] = e.Value.Status.ToString(), ["description"] = e.Value.Description ?? e.Value.Exception?.Message,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
