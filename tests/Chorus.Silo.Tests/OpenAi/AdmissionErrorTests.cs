using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>Refusals that come from the cluster rather than the request: 429 when a model's queue is full, 503 when no silo serves a member.</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class AdmissionErrorTests(OpenAiSiloFixture fixture)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_request_that_finds_the_queue_full_is_429_and_the_slots_are_free_afterwards()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(1) };
        using var cancel = new CancellationTokenSource();
        var holders = new List<HttpResponseMessage>();
        Task<HttpResponseMessage>? queued = null;
        try
        {
            // every slot of "plain" taken by a stream that has begun
            for (var i = 0; i < OpenAiSiloFixture.Slots; i++)
            {
                var response = await http.SendAsync(Stream(), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                holders.Add(response);
            }
            // one more waits in the queue (its headers come only once it has slots) …
            queued = http.SendAsync(Stream(), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            await WaitUntilAsync(async () => (await fixture.Client.ListModelsAsync()).Single(m => m.Id == "plain").Waiting == OpenAiSiloFixture.QueueDepth, "the fifth request to queue");

            // … and the next finds the queue full
            using var refused = await http.SendAsync(Stream(), HttpCompletionOption.ResponseContentRead);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("queue_full", error.GetProperty("code").GetString());
            Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await cancel.CancelAsync(); // every client leaves: their sessions end
            foreach (var r in holders) r.Dispose();
            if (queued is not null)
            {
                try { (await queued).Dispose(); }
                catch (OperationCanceledException) { } // it was still waiting
            }
        }
        await WaitUntilAsync(async () => (await fixture.Client.ListModelsAsync()).Sum(m => m.ActiveSequences + m.Waiting) == 0, "every slot and queue place to be free");
    }

    [Fact]
    public async Task A_member_no_silo_serves_is_503()
    {
        var result = await NodeScript.RunAsync("request.cjs", fixture.HttpEndpoint, OpenAiSiloFixture.ApiKey,
            new { model = OpenAiSiloFixture.UnservedModel, prompt = "x", max_tokens = 2 }, "completion");
        var error = result.GetProperty("error");
        Assert.Equal(503, error.GetProperty("status").GetInt32());
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("start a silo that serves it", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private HttpRequestMessage Stream()
    {
        var body = JsonSerializer.Serialize(new { model = "plain", prompt = "Once upon a time", max_tokens = 1500, temperature = 0, stream = true });
        var request = new HttpRequestMessage(HttpMethod.Post, $"{fixture.HttpEndpoint}/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OpenAiSiloFixture.ApiKey);
        return request;
    }

    // slot and queue counts have no push signal (the model list is their only public view): poll it, bounded
    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Bounded, $"waited {Bounded.TotalSeconds} s for {what}\n{fixture.Silo.Log}");
            await Task.Delay(50);
        }
    }
}
