using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Chorus.Silo.Services;

/// <summary>
/// Unhealthy (not ready) when the membership store cannot be read, or when the store does not list this silo as active —
/// joining, leaving, or declared dead by the others. The store is read at most every <see cref="ReadEvery"/>, bounded by
/// <see cref="ReadTimeout"/>, so probes do not load it.
/// </summary>
internal sealed class MembershipHealthCheck(IMembershipTable table, ILocalSiloDetails silo) : IHealthCheck
{
    public static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(5), ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _reading = new(1, 1);
    private HealthCheckResult _last;
    private long _readAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (_readAt != 0 && Stopwatch.GetElapsedTime(_readAt) < ReadEvery) return _last;
            _last = await ReadAsync(cancellationToken);
            _readAt = Stopwatch.GetTimestamp();
            return _last;
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task<HealthCheckResult> ReadAsync(CancellationToken cancellationToken)
    {
        MembershipTableData data;
        try
        {
            data = await table.ReadAll().WaitAsync(ReadTimeout, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the membership store cannot be read: {e.Message}");
        }
        var self = data.Members.Select(m => m.Item1).FirstOrDefault(m => m.SiloAddress.Equals(silo.SiloAddress));
        return self?.Status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"active in the membership store ({data.Members.Count(m => m.Item1.Status == SiloStatus.Active)} active silo(s))")
            : HealthCheckResult.Unhealthy($"this silo is {self?.Status.ToString() ?? "not listed"} in the membership store, not Active");
    }
}
