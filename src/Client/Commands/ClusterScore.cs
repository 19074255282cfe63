using System.Diagnostics;
using Chorus.Api;
using Chorus.Client.Cluster;

namespace Chorus.Client.Commands;

/// <summary>Fused and per-member perplexity and bits per byte of a text through the cluster (the protocol is in docs/cluster.md).</summary>
internal static class ClusterScore
{
    public static async Task<int> RunAsync(CommandContext context, ClusterTarget target, string? method, Dictionary<string, string> parameters,
        string content, bool json, CancellationToken ct)
    {
        await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
        var request = new ScoreRequest { Members = connection.Members, Method = method ?? "", Text = content };
        request.Params.Add(parameters);
        await context.Error.WriteLineAsync("scoring…");
        var started = Stopwatch.GetTimestamp();
        var reply = await connection.Client.ScoreAsync(request, ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (json)
        {
            await context.Output.WriteLineAsync(JsonOutput.Serialize(new
            {
                method = reply.Method, tokens = reply.Tokens, perplexity = reply.Perplexity, meanNll = reply.MeanNll,
                bytes = reply.Bytes, bitsPerByte = reply.BitsPerByte,
                members = reply.Members.Select(m => new
                {
                    model = m.Model, tokens = m.Tokens, perplexity = m.Perplexity, meanNll = m.MeanNll, weight = m.Weight,
                    bytes = m.Bytes, bitsPerByte = m.BitsPerByte,
                }),
                diagnostics = reply.Diagnostics.Count > 0 ? reply.Diagnostics.OrderBy(d => d.Key, StringComparer.Ordinal).ToDictionary(d => d.Key, d => d.Value) : null,
                windows = reply.Windows.Count > 0
                    ? reply.Windows.Select(w => new { startChar = w.StartChar, scoredChar = w.ScoredChar, endChar = w.EndChar, tokens = w.Tokens, bytes = w.Bytes, bitsPerByte = w.BitsPerByte })
                    : null,
                seconds,
            }));
            return 0;
        }
        await context.Output.WriteLineAsync($"method:      {reply.Method}");
        await context.Output.WriteLineAsync($"tokens:      {reply.Tokens} scored (main member's vocabulary)");
        await context.Output.WriteLineAsync($"mean NLL:    {reply.MeanNll:F4} nats/token");
        await context.Output.WriteLineAsync($"perplexity:  {reply.Perplexity:F3} (fused)");
        await context.Output.WriteLineAsync($"bits/byte:   {reply.BitsPerByte:F4} (fused, over {reply.Bytes} bytes)");
        if (reply.Windows.Count > 0)
            await context.Output.WriteLineAsync($"windows:     {reply.Windows.Count} (the text is longer than a member's context; each window scores what the one before did not)");
        await context.Output.WriteLineAsync("members:");
        var width = reply.Members.Select(m => m.Model.Length).DefaultIfEmpty(8).Max();
        foreach (var m in reply.Members)
            await context.Output.WriteLineAsync($"  {m.Model.PadRight(width)}  perplexity {m.Perplexity,10:F3}  bits/byte {m.BitsPerByte,7:F4}  ({m.Tokens} tokens, {m.Bytes} bytes, mean weight {m.Weight:F3})");
        foreach (var (key, value) in reply.Diagnostics.OrderBy(d => d.Key, StringComparer.Ordinal))
            await context.Output.WriteLineAsync($"  {key}: {value:G4}");
        await context.Output.WriteLineAsync($"time:        {seconds:F2} s");
        return 0;
    }
}
