using Chorus.Llama;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Chorus.Client.Commands;

/// <summary>Where a command writes, and the one place that turns known errors into a message and exit code.</summary>
public sealed class CommandContext(TextWriter output, TextWriter error)
{
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>Runs a command body; a user error prints "error: …" (no stack trace) and returns 1.</summary>
    public async Task<int> Guard(bool verbose, Func<Task<int>> body)
    {
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(_ => verbose).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning));
        LlamaBackend.Initialize(logging);
        try
        {
            return await body();
        }
        catch (Exception e) when (e is OperationCanceledException || e is RpcException { StatusCode: StatusCode.Cancelled })
        {
            await Error.WriteLineAsync("cancelled");
            return 130;
        }
        catch (RpcException e)
        {
            // the cluster's status code says what kind of problem it is; its detail says what to do
            var hint = e.StatusCode == StatusCode.Unauthenticated ? $" (give --api-key KEY or set {CommonOptions.ApiKeyVariable})" : "";
            await Error.WriteLineAsync($"error: {e.StatusCode}: {e.Status.Detail}{hint}");
            return 1;
        }
        catch (Exception e) when (e is LlamaException or ArgumentException or FileNotFoundException or InvalidOperationException or IOException or FormatException)
        {
            await Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
