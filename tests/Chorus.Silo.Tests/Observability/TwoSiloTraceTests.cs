using System.Diagnostics;
using System.Text;
using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Silo.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Observability;

/// <summary>
/// Tracing across a real two-silo cluster (development clustering over loopback sockets, the silos' own hosts with their
/// gRPC API), both in this process so one in-memory exporter sees what each silo records: nothing but the Orleans
/// messages between the silos carries the trace context from one to the other.
/// </summary>
public sealed class TwoSiloTraceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task One_generation_over_two_silos_is_one_trace_with_admission_and_prefill_spans_from_both()
    {
        var spans = new List<Activity>();
        var cache = Directory.CreateTempSubdirectory("chorus-trace-").FullName;
        var ports = FreePorts.Take(6);
        await using var silo1 = await StartAsync(ports[0], ports[1], ports[2], primary: null, "a", TestModels.Spm(31), cache, spans);
        await using var silo2 = await StartAsync(ports[3], ports[4], ports[5], primary: ports[0], "b", TestModels.Spm(33), cache, spans: null);
        using var client = ChorusApiClient.ForAddress($"http://127.0.0.1:{ports[2]}");
        await WaitUntilServedAsync(client, "b");

        var request = new GenerateRequest
        {
            Members = new Members(), Method = "uniform", Prompt = "Two silos trace one request", Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = 4 },
        };
        request.Members.Models.AddRange(["a", "b"]);
        string session = "";
        await foreach (var e in client.GenerateAsync(request)) if (e.Started is { } started) session = started.Session;

        var generate = await SpanAsync(spans, s => s.OperationName == "chorus.generate" && Tag(s, "chorus.session_id") == session);
        var sessionSpan = await SpanAsync(spans, s => s.OperationName == "chorus.session" && Tag(s, "chorus.session_id") == session);
        var trace = Snapshot(spans).Where(s => s.TraceId == generate.TraceId).ToList();
        output.WriteLine(Tree(trace));

        Assert.Equal(4, sessionSpan.Events.Count(e => e.Name == "step"));
        Assert.Equal(generate.TraceId, sessionSpan.TraceId);
        foreach (var (model, port) in new[] { ("a", ports[0]), ("b", ports[3]) })
        {
            foreach (var name in new[] { "chorus.member.admit", "chorus.member.prefill" })
            {
                var span = Assert.Single(trace, s => s.OperationName == name && Tag(s, "chorus.model") == model);
                Assert.Contains($":{port}:", Tag(span, "chorus.silo"), StringComparison.Ordinal); // recorded on the silo that serves the model
                Assert.True(Descends(span, generate, trace), $"{name} of {model} does not descend from the gateway span:\n{Tree(trace)}");
            }
        }
        // steps are events, not spans: no span per member call per token (a member's edit calls keep spans only for its
        // prefill: a client and a server span for each of the two members at most)
        Assert.True(trace.Count(s => s.DisplayName.EndsWith("/Edit", StringComparison.Ordinal)) <= 4, $"per-step edits have spans:\n{Tree(trace)}");
        Assert.DoesNotContain(trace, s => s.DisplayName.EndsWith("/MoveNext<T>", StringComparison.Ordinal));
        TempFolders.Delete(cache);
    }

    private static async Task<AsyncDisposableSilo> StartAsync(int siloPort, int gatewayPort, int grpcPort, int? primary, string model, string path, string cache, List<Activity>? spans)
    {
        var args = new List<string>
        {
            "--Chorus:Cluster:Provider=development", "--Chorus:Cluster:ClusterId=trace-tests", $"--Chorus:CacheDirectory={cache}",
            "--Chorus:KnownModels:0=a", "--Chorus:KnownModels:1=b",
        };
        args.AddRange(SiloArguments.Ports(siloPort, gatewayPort, grpcPort));
        args.AddRange(SiloArguments.Model(0, model, path, contextSize: 256));
        if (primary is { } p) args.Add($"--Chorus:Cluster:PrimarySilo=127.0.0.1:{p}");
        var app = ChorusSiloHost.Build([.. args], o => o.Cluster.ListenOnAnyAddress = false, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // one exporter suffices: activity listeners are process-wide, so it sees the spans of both silos
            // the silos trace as with Chorus:Telemetry:OtlpEndpoint set, with an in-memory exporter instead of OTLP
            if (spans is not null) builder.Services.AddOpenTelemetry().WithTracing(t => TelemetrySetup.Tracing(t, new Grains.TelemetryOptions()).AddInMemoryExporter(spans));
        });
        await app.StartAsync();
        return new AsyncDisposableSilo(app);
    }

    private sealed class AsyncDisposableSilo(WebApplication app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // disposing tears down the rest
            }
            await app.DisposeAsync();
        }
    }

    private static async Task WaitUntilServedAsync(ChorusApiClient client, string model)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!(await client.ListModelsAsync(deadline.Token)).Any(m => m.Id == model)) await Task.Delay(200, deadline.Token);
    }

    // a span ends when its work does, which may be just after the client read the last event
    private static async Task<Activity> SpanAsync(List<Activity> spans, Func<Activity, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var found = Snapshot(spans).FirstOrDefault(match);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no such span among: {string.Join(", ", Snapshot(spans).Select(s => $"{s.DisplayName} ({s.Source.Name})").Distinct())}");
            await Task.Delay(50);
        }
    }

    // the exporter appends from the threads that end spans: copy (List.ToArray does not enumerate) and skip a slot being written
    private static List<Activity> Snapshot(List<Activity> spans) => spans.ToArray().Where(s => s is not null).ToList();

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static bool Descends(Activity span, Activity root, List<Activity> trace)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var at = span; at is not null; at = byId.GetValueOrDefault(at.ParentSpanId))
            if (at.SpanId == root.SpanId) return true;
        return false;
    }

    /// <summary>The trace as an indented tree: span, where it ran, how long, its events.</summary>
    internal static string Tree(List<Activity> trace)
    {
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        var text = new StringBuilder($"trace {trace.FirstOrDefault()?.TraceId}\n");
        void Write(Activity s, int depth)
        {
            var silo = Tag(s, "chorus.silo") is { } where ? $" @{where}" : "";
            var model = Tag(s, "chorus.model") is { } m ? $" model={m}" : "";
            var events = s.Events.Any() ? $" events: {string.Join(",", s.Events.GroupBy(e => e.Name).Select(g => $"{g.Key}×{g.Count()}"))}" : "";
            text.Append(new string(' ', depth * 2)).Append(s.DisplayName).Append(model).Append(silo).Append($" {s.Duration.TotalMilliseconds:F1} ms").Append(events).Append('\n');
            foreach (var child in trace.Where(c => c.ParentSpanId == s.SpanId).OrderBy(c => c.StartTimeUtc)) Write(child, depth + 1);
        }
        foreach (var root in trace.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartTimeUtc)) Write(root, 0);
        return text.ToString();
    }
}
