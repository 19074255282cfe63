using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Chorus.Silo.Tests.Observability;

/// <summary>The silo's console logs in JSON (Logging:Console:FormatterName=json), with dated UTC timestamps and the request and session ids in scope.</summary>
[Collection(ObservedSiloCollection.Name)]
public sealed class JsonLogTests(ObservedSiloFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_line_of_a_session_is_json_with_a_dated_utc_timestamp_and_the_request_and_session_ids()
    {
        var events = await MetricsEndpointTests.Generate(fixture, MetricsEndpointTests.Request(pack: ObservedSiloFixture.Pack, maxTokens: 2));
        var session = events[0].Started.Session;

        // the session grain logs its end at Debug (the fixture turns Chorus' debug lines on); the line may follow the last event
        var line = await LineMentioningAsync(session, TimeSpan.FromSeconds(10));
        output.WriteLine(line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var timestamp = root.GetProperty("Timestamp").GetString()!;
        Assert.True(DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var when), $"not a dated timestamp: '{timestamp}'");
        Assert.EndsWith("Z", timestamp, StringComparison.Ordinal);
        Assert.InRange(when, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        var scopes = root.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("SessionId", out var id) && id.GetString() == session);
        Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out var id) && !string.IsNullOrEmpty(id.GetString()));
    }

    private async Task<string> LineMentioningAsync(string session, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = fixture.Silo.Log.Split('\n').Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 2)..])
                .FirstOrDefault(l => l.StartsWith('{') && l.Contains($"session {session} ended", StringComparison.Ordinal));
            if (line is not null) return line;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no JSON log line about session {session}:\n{fixture.Silo.Log}");
            await Task.Delay(100);
        }
    }
}
