using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chorus.Silo;

/// <summary>
/// With <c>--ParentProcessId=PID</c> the silo stops when that process exits, so a silo started by a test or a
/// supervisor never outlives it, even when the parent is killed before it can clean up.
/// </summary>
internal sealed class ParentProcessWatch(int parentId, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatch> logger) : BackgroundService
{
    public const string Key = "ParentProcessId";

    public static void AddIfConfigured(WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(Key) is not { } parent || parent <= 0) return;
        builder.Services.AddHostedService(sp => new ParentProcessWatch(parent,
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ParentProcessWatch>>()));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var parent = Process.GetProcessById(parentId);
            await parent.WaitForExitAsync(stoppingToken);
        }
        catch (ArgumentException)
        {
            // already gone
        }
        catch (OperationCanceledException)
        {
            return;
        }
        logger.LogWarning("parent process {Parent} exited; stopping this silo", parentId);
        lifetime.StopApplication();
    }
}
