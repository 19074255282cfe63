using Chorus.Api;

namespace Chorus.Client.Commands;

/// <summary><c>chorus models</c> per silo: each silo's model replicas with device, sessions, KV slots in use and queue.</summary>
internal static class SiloView
{
    public static IEnumerable<IGrouping<string, ModelDescription>> BySilo(IEnumerable<ModelDescription> replicas) =>
        replicas.OrderBy(r => r.Silo, StringComparer.Ordinal).ThenBy(r => r.Replica, StringComparer.Ordinal).GroupBy(r => r.Silo);

    public static object Json(IEnumerable<ModelDescription> replicas) => BySilo(replicas).Select(g => new
    {
        silo = g.Key,
        replicas = g.Select(r => new
        {
            id = r.Id, replica = r.Replica, device = r.Device, sessions = r.Sessions, activeSequences = r.ActiveSequences,
            maxSequences = r.MaxSequences, waiting = r.Waiting, unhealthy = r.Unhealthy,
        }),
    });

    public static async Task WriteAsync(TextWriter output, IReadOnlyCollection<ModelDescription> replicas)
    {
        if (replicas.Count == 0) return;
        var width = Math.Max(7, replicas.Max(r => r.Replica.Length));
        foreach (var silo in BySilo(replicas))
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"silo {silo.Key}: {silo.Count()} replica(s), {silo.Sum(r => r.Sessions)} session(s), " +
                $"{silo.Sum(r => r.ActiveSequences)}/{silo.Sum(r => r.MaxSequences)} KV slots, {silo.Sum(r => r.Waiting)} queued");
            await output.WriteLineAsync($"  {"REPLICA".PadRight(width)}  {"DEVICE",-6}  {"SESSIONS",8}  {"SLOTS",7}  {"QUEUED",6}");
            foreach (var r in silo)
                await output.WriteLineAsync($"  {r.Replica.PadRight(width)}  {r.Device,-6}  {r.Sessions,8}  {$"{r.ActiveSequences}/{r.MaxSequences}",7}  {r.Waiting,6}{(r.Unhealthy ? "  UNHEALTHY" : "")}");
        }
    }
}
