using System.Diagnostics;
using System.Text.Json;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>The raw bytes of a streamed response, as <c>curl -N</c> sees them: SSE framing, headers, the closing [DONE].</summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class ServerSentEventFramingTests(OpenAiSiloFixture fixture)
{
    [Fact]
    public async Task Curl_sees_data_events_separated_by_blank_lines_ending_in_done()
    {
        var body = JsonSerializer.Serialize(new
        {
            model = OpenAiSiloFixture.Pack, messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 5, temperature = 0, stream = true, stream_options = new { include_usage = true },
        });
        var (headers, events) = await CurlAsync(body);

        Assert.Contains("HTTP/1.1 200", headers, StringComparison.Ordinal);
        Assert.Contains("content-type: text/event-stream", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("cache-control: no-cache", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength()); // the usage chunk
        Assert.Equal(5, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task A_refused_streaming_request_gets_its_status_and_json_error_before_any_event()
    {
        var (headers, events) = await CurlAsync("{\"model\": \"nobody\", \"prompt\": \"x\", \"stream\": true}", "/v1/completions");
        Assert.Contains("HTTP/1.1 404", headers, StringComparison.Ordinal);
        Assert.Contains("content-type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        var error = JsonDocument.Parse(string.Join('\n', events)).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    // (headers, the body's non-empty lines) — and checks every event ends with a blank line
    private async Task<(string Headers, List<string> Lines)> CurlAsync(string body, string path = "/v1/chat/completions")
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])["-sS", "-N", "-i", "--max-time", "60", "-H", $"Authorization: Bearer {OpenAiSiloFixture.ApiKey}",
                     "-H", "Content-Type: application/json", "--data-binary", "@-", $"{fixture.HttpEndpoint}{path}"])
            start.ArgumentList.Add(a);
        using var curl = Process.Start(start) ?? throw new InvalidOperationException("could not start curl");
        await curl.StandardInput.WriteAsync(body);
        curl.StandardInput.Close();
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        Assert.True(curl.ExitCode == 0, $"curl failed: {await curl.StandardError.ReadToEndAsync()}");
        var split = output.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var (headers, content) = (output[..split], output[(split + 4)..]);
        if (headers.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
            Assert.True(content.EndsWith("\n\n", StringComparison.Ordinal) && !content.Contains("\n\n\n", StringComparison.Ordinal), $"events are not each ended by one blank line:\n{content}");
        return (headers, content.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList());
    }
}
