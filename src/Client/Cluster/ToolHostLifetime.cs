using Microsoft.Extensions.Hosting;

namespace Chorus.Client.Cluster;

/// <summary>
/// The in-process silo's lifetime belongs to the tool: no Ctrl+C/SIGTERM handling of its own (the default console
/// lifetime would swallow the signal and wait for a shutdown nobody runs); the command's cancellation stops it.
/// </summary>
internal sealed class ToolHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
