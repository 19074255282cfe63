using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Chorus.Api;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Observability;

/// <summary>The Prometheus endpoint after real generations over gRPC and HTTP: Chorus' request series with their labels, and the platform meters.</summary>
[Collection(ObservedSiloCollection.Name)]
public sealed partial class MetricsEndpointTests(ObservedSiloFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_fused_generation_shows_its_latencies_outcome_and_tokens_in_seconds_by_model_pack_method_and_front_end()
    {
        var events = await Generate(fixture, Request(pack: ObservedSiloFixture.Pack, maxTokens: 6));
        Assert.Equal(6, events[^1].Finished.Usage.CompletionTokens);
        using var http = new HttpClient { BaseAddress = fixture.HttpEndpoint };
        using var completion = await http.PostAsync(new Uri("/v1/completions", UriKind.Relative),
            new StringContent("""{"model":"pair","prompt":"Once upon a time","max_tokens":4,"temperature":0}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);

        const string grpc = """model="a",pack="pair",method="uniform",front_end="grpc""";
        const string viaHttp = """model="a",pack="pair",method="uniform",front_end="http""";
        var metrics = await ScrapeUntil(fixture, m => Value(m, "chorus_requests_total", viaHttp) >= 1 && Value(m, "chorus_requests_total", grpc) >= 1);
        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("chorus_", StringComparison.Ordinal) && !l.Contains("_bucket{", StringComparison.Ordinal))));
        foreach (var histogram in new[] { "time_to_first_token", "inter_token_latency", "duration", "queue_duration", "prefill_duration" })
        {
            Assert.True(Value(metrics, $"chorus_request_{histogram}_seconds_count", grpc) >= 1, $"chorus_request_{histogram}_seconds for gRPC missing:\n{metrics}");
            Assert.True(Value(metrics, $"chorus_request_{histogram}_seconds_count", viaHttp) >= 1, $"chorus_request_{histogram}_seconds for HTTP missing");
        }
        Assert.True(Value(metrics, "chorus_requests_total", grpc + """,status="ok",finish_reason="max_tokens""") >= 1);
        Assert.True(Value(metrics, "chorus_tokens_generated_total", grpc) >= 6);
        Assert.True(Value(metrics, "chorus_tokens_prompt_total", grpc) >= 1);
        Assert.Equal(0, Value(metrics, "chorus_sessions_running", grpc));
        Assert.Equal(0, Value(metrics, "chorus_sessions_waiting", grpc));
        // the end-to-end time covers the first token: seconds, not milliseconds
        Assert.InRange(Value(metrics, "chorus_request_time_to_first_token_seconds_sum", grpc), 0, Value(metrics, "chorus_request_duration_seconds_sum", grpc));
        Assert.True(Value(metrics, "chorus_kv_sequences_capacity", """model="a""") >= 1);
        Assert.Equal(0, Value(metrics, "chorus_kv_sequences_used", """model="a""")); // every slot freed again
        // the prefix cache's counters, as running totals of the replica's runner
        Assert.True(Value(metrics, "chorus_prefill_tokens_total", """model="a""") >= 1, "chorus_prefill_tokens_total missing");
        Assert.InRange(Value(metrics, "chorus_prefix_hit_tokens_total", """model="a"""), 0, Value(metrics, "chorus_prefill_tokens_total", """model="a"""));
    }

    [Fact]
    public async Task Byte_and_speculative_generations_count_like_any_other()
    {
        var before = await ScrapeUntil(fixture, _ => true);
        var bytes = Request(pack: null, maxTokens: 3, models: ["a", "b"]);
        bytes.Method = "byte";
        Assert.Equal("max_tokens", (await Generate(fixture, bytes))[^1].Finished.Reason);
        var speculative = Request(pack: null, maxTokens: 5, models: ["a", "b"]);
        speculative.Speculate = 2;
        var drafted = (await Generate(fixture, speculative))[^1].Finished;
        Assert.Equal("max_tokens", drafted.Reason);
        Assert.True(drafted.Timings.PlainRounds >= 1, "greedy speculation with the cost check starts with one plain step (its baseline)");

        var metrics = await ScrapeUntil(fixture, m => Value(m, "chorus_tokens_generated_total", """method="byte""") >= 3);
        Assert.True(Value(metrics, "chorus_tokens_generated_total", """model="a",pack="none",method="byte",front_end="grpc""") >= 3);
        Assert.True(Value(metrics, "chorus_request_time_to_first_token_seconds_count", """model="a",pack="none",method="byte",front_end="grpc""") >= 1);
        Assert.True(Value(metrics, "chorus_tokens_generated_total", """model="a",pack="none",method="uniform",front_end="grpc""") >= 5);
        // the one loop records their fusion time (per character, per round) and the step-time split of the rounds' verification
        Assert.True(Value(metrics, "chorus_fusion_duration_seconds_count", "") >= Math.Max(0, Value(before, "chorus_fusion_duration_seconds_count", "")) + 3 + 1);
        Assert.True(Value(metrics, "chorus_step_part_duration_seconds_count", """part="call""") > Math.Max(0, Value(before, "chorus_step_part_duration_seconds_count", """part="call""")));
    }

    [Fact]
    public async Task A_refused_generation_counts_by_its_status_and_made_up_names_do_not_become_labels()
    {
        var request = Request(pack: null, maxTokens: 2, models: ["a", "b"]);
        request.Method = "no-such-method";
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Generate(fixture, request));

        var metrics = await ScrapeUntil(fixture, m => Value(m, "chorus_requests_total", """status="invalid_argument""") >= 1);
        Assert.True(Value(metrics, "chorus_requests_total", """model="a",pack="none",method="other",front_end="grpc",status="invalid_argument",finish_reason="none""") >= 1);
        Assert.DoesNotContain("no-such-method", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_platform_meters_are_exported_beside_chorus()
    {
        await Generate(fixture, Request(pack: ObservedSiloFixture.Pack, maxTokens: 1));
        var metrics = await ScrapeUntil(fixture, m => m.Contains("/chorus.v1.Chorus/Generate", StringComparison.Ordinal));

        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal); // ASP.NET Core
        Assert.Contains("kestrel_", metrics, StringComparison.Ordinal);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal)
            && l.Contains("/chorus.v1.Chorus/Generate", StringComparison.Ordinal)); // gRPC calls, by route
        Assert.Contains("orleans_", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", metrics, StringComparison.Ordinal); // the runtime
    }

    internal static GenerateRequest Request(string? pack, int maxTokens, string[]? models = null)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Prompt = "The observed cluster writes", Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = maxTokens },
        };
        if (pack is not null) request.Members.Pack = pack;
        request.Members.Models.AddRange(models ?? []);
        return request;
    }

    internal static async Task<List<GenerateEvent>> Generate(ObservedSiloFixture fixture, GenerateRequest request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<GenerateEvent>();
        await foreach (var e in fixture.Client.GenerateAsync(request, timeout.Token)) events.Add(e);
        return events;
    }

    /// <summary>
    /// Scrapes until <paramref name="ready"/> holds (at most 5 s; then the last scrape, for the assertions to fail on): the
    /// exporter answers a scrape from its cache for a moment, so the scrape right after a request may predate it.
    /// </summary>
    internal static async Task<string> ScrapeUntil(ObservedSiloFixture fixture, Func<string, bool> ready)
    {
        using var http = new HttpClient { BaseAddress = fixture.MetricsEndpoint };
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            if (ready(metrics) || DateTime.UtcNow > deadline) return metrics;
            await Task.Delay(100);
        }
    }

    /// <summary>The value of the series <paramref name="name"/> that carry every one of <paramref name="labels"/> (in any order; summed over the rest); −1 when absent.</summary>
    internal static double Value(string metrics, string name, string labels)
    {
        double sum = 0;
        var found = false;
        foreach (Match m in Series().Matches(metrics))
        {
            if (m.Groups["name"].Value != name || !labels.Split(',').All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal))) continue;
            sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            found = true;
        }
        return found ? sum : -1;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Series();
}
