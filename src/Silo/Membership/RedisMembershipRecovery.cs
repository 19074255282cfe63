using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Chorus.Silo.Membership;

/// <summary>
/// Heals the Redis membership table after the store came back empty (a Redis without persistence restarted, or its key
/// deleted): the first silo that finds its own row gone writes back every member it last read, and the running cluster
/// carries on — dead silos are declared dead again, new silos join — without an operator.
/// </summary>
/// <remarks>
/// Why Orleans does not heal by itself: its silos write only their own rows and only through updates of rows that exist
/// ("I am alive" fails on a missing row), and a silo accepts a table only at a version above the one it holds — the empty
/// table starts again at 0, so running silos ignore it, and a new silo that joins it is never seen by them.
/// Writing rows back must not show a running silo a table, newer than its view, that lacks its own row: Orleans takes
/// that as its death and stops the silo. So the rows go back at negative versions (below every view, so ignored), and
/// one last write raises the version above every view at once (<see cref="VersionMargin"/> above the highest this silo
/// knows). Rows are written through the provider's own <see cref="IMembershipTable.InsertRow"/> (its format, its
/// conditions); only the version field is set directly, in transactions conditioned on its value, so two silos that
/// heal at once cannot interleave: the loser finds its row back at its next check.
/// </remarks>
internal sealed partial class RedisMembershipRecovery(
    IMembershipTable table, IClusterMembershipService membership, ILocalSiloDetails local, IOptions<RedisClusteringOptions> redis,
    IOptions<ClusterOptions> cluster, IOptions<ClusterMembershipOptions> timings, ILogger<RedisMembershipRecovery> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>Where the rows go back: far below any version a running cluster reaches.</summary>
    public const int RecoveryBase = -1_000_000_000;

    /// <summary>How far above the highest version this silo knows the healed table starts (others' views may be a few writes ahead).</summary>
    public const int VersionMargin = 1_000;

    private const string VersionField = "Version";
    private readonly CancellationTokenSource _stopping = new();
    private MembershipTableData? _lastGood;
    private int? _negativeSeen;
    private (IConnectionMultiplexer Multiplexer, bool IsShared)? _connection;
    private Task _loop = Task.CompletedTask;

    /// <summary>How often the silo checks that its row is in the store: as often as it writes "I am alive" or reads the table, whichever is sooner.</summary>
    public TimeSpan Interval => timings.Value.IAmAliveTablePublishTimeout < timings.Value.TableRefreshTimeout
        ? timings.Value.IAmAliveTablePublishTimeout : timings.Value.TableRefreshTimeout;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(RedisMembershipRecovery), ServiceLifecycleStage.Active,
        _ => { _loop = Task.Run(LoopAsync, CancellationToken.None); return Task.CompletedTask; },
        async _ => { await _stopping.CancelAsync(); await _loop; });

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await CheckAsync().WaitAsync(Interval * 2, _stopping.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    // a store that does not answer is the membership's own concern (it retries and reports); checked again next tick
                    LogCheckFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task CheckAsync()
    {
        var data = await table.ReadAll();
        var mine = data.Members.Any(m => m.Item1.SiloAddress.Equals(local.SiloAddress));
        // a recovery stopped half-way (its silo died) leaves the table at a negative version: the next check finishes it
        var stalled = data.Version.Version < 0 && _negativeSeen == data.Version.Version;
        _negativeSeen = data.Version.Version < 0 ? data.Version.Version : null;
        if (mine && !stalled)
        {
            if (data.Version.Version >= 0) _lastGood = data;
            return;
        }
        if (_lastGood is not { } lastGood || _stopping.IsCancellationRequested) return;
        if (membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) != SiloStatus.Active) return; // leaving: nothing to heal
        await HealAsync(data, lastGood);
    }

    private async Task HealAsync(MembershipTableData now, MembershipTableData lastGood)
    {
        var db = (await ConnectAsync()).GetDatabase();
        var key = redis.Value.CreateRedisKey(cluster.Value);
        var present = now.Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        var restore = lastGood.Members.Select(m => m.Item1).Where(e => e.Status != SiloStatus.Dead && !present.Contains(e.SiloAddress)).ToList();
        LogHealing(logger, now.Version.Version, now.Members.Count, restore.Count, string.Join(", ", restore.Select(e => e.SiloAddress)));

        // 1. below every view, unless a recovery is already there
        var version = now.Version.Version;
        if (version >= 0)
        {
            var stored = await db.HashGetAsync(key, VersionField);
            var move = db.CreateTransaction();
            move.AddCondition(stored.IsNull ? Condition.HashNotExists(key, VersionField) : Condition.HashEqual(key, VersionField, stored));
            _ = move.HashSetAsync(key, VersionField, Text(RecoveryBase));
            if (!await move.ExecuteAsync()) return; // the table changed under us: read again next tick
            version = RecoveryBase;
        }

        // 2. the missing rows, each at the next (negative, so ignored) version, in the provider's format and conditions
        var alive = DateTime.UtcNow;
        foreach (var entry in restore)
        {
            entry.IAmAliveTime = alive; // restored as alive now: its own silo refreshes it, or the probes declare it dead
            if (!await table.InsertRow(entry, new TableVersion(version + 1, Text(version + 1)))) return;
            version++;
        }

        // 3. above every view, all rows in place
        var target = (int)Math.Min(int.MaxValue - VersionMargin, Math.Max(lastGood.Version.Version, membership.CurrentSnapshot.Version.Value)) + VersionMargin;
        var raise = db.CreateTransaction();
        raise.AddCondition(Condition.HashEqual(key, VersionField, Text(version)));
        _ = raise.HashSetAsync(key, VersionField, Text(target));
        if (await raise.ExecuteAsync())
            LogHealed(logger, target, now.Members.Count + restore.Count);
    }

    private async Task<IConnectionMultiplexer> ConnectAsync()
    {
        _connection ??= await redis.Value.CreateMultiplexer(redis.Value);
        return _connection.Value.Multiplexer;
    }

    private static string Text(int version) => version.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        if (_connection is { IsShared: false } c) await c.Multiplexer.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "membership store check failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the Redis membership store lost this silo's row (restarted empty?): the table holds {Rows} row(s) at version {Version}; "
        + "writing back {Restored} member(s) this silo last read ({Members}) so that the cluster heals; give Redis persistence (appendonly) to avoid this")]
    private static partial void LogHealing(ILogger logger, int version, int rows, int restored, string members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the Redis membership table is whole again: {Rows} row(s) at version {Version}")]
    private static partial void LogHealed(ILogger logger, int version, int rows);
}
