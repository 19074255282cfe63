using Chorus.Grains;
using Microsoft.AspNetCore.Builder;
using Orleans.Dashboard;

namespace Chorus.Silo;

/// <summary>
/// The Orleans dashboard (Microsoft.Orleans.Dashboard), on when <c>Chorus:Cluster:Dashboard=true</c>: served on the
/// HTTP/1.1 metrics port under /dashboard, behind the same API keys as /metrics.
/// </summary>
internal static class DashboardSetup
{
    public const string Path = "/dashboard";

    public static void AddTo(ISiloBuilder silo, ClusterSettings cluster)
    {
        if (cluster.Dashboard) silo.AddDashboard();
    }

    public static void MapOn(WebApplication app, ClusterSettings cluster)
    {
        if (cluster.Dashboard) app.MapOrleansDashboard(Path).RequireHost($"*:{cluster.MetricsPort}");
    }
}
