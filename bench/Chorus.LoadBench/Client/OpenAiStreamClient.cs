using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chorus.Bench.Load.Client;

/// <summary>
/// Streams OpenAI completions and chat completions from any server that speaks the API, parsing the server-sent events
/// as they arrive: the first content chunk is the first token, each later content chunk one more token. One shared
/// handler with enough connections that no request waits for a socket (the load, not the client, must be the limit).
/// </summary>
internal sealed class OpenAiStreamClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public OpenAiStreamClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 4096,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        // HttpClient's own timeout ends at the headers of a streamed reply; the whole request is timed below
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _timeout = timeout;
    }

    public async Task<RequestResult> SendAsync(ServerTarget target, CompletionRequest request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var stream = new StreamState(request.Class, Stopwatch.GetTimestamp());
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(target.BaseUrl, request.Path))
            {
                Content = new ByteArrayContent(request.Body(target.Model)) { Headers = { ContentType = Json } },
            };
            // a connection per request: llama-server's HTTP library ends a kept-alive connection after a few streamed
            // replies without saying so, and the next request on it failed ("the response ended prematurely", a third of
            // them at 16 clients). A loopback connect costs both servers the same ~0.1 ms.
            message.Headers.ConnectionClose = true;
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                return stream.Fail($"HTTP {(int)response.StatusCode}: {Shorten(body)}");
            }
            await using var events = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var reader = new StreamReader(events, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096);
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = line.AsMemory(6);
                if (data.Span.SequenceEqual("[DONE]")) return stream.Finish();
                stream.Read(data, Stopwatch.GetTimestamp());
                if (stream.Error is not null) return stream.Fail(stream.Error);
            }
            return stream.Fail("the stream ended without data: [DONE]");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return stream.Fail($"no complete reply within {_timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            // HttpClient's own message is generic ("an error occurred while sending the request"): the cause is inside
            var cause = e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "";
            return stream.Fail($"{e.GetType().Name}: {Shorten(e.Message + cause)}");
        }
    }

    public void Dispose() => _http.Dispose();

    private static string Shorten(string text) => text.Length <= 300 ? text.ReplaceLineEndings(" ") : text[..300].ReplaceLineEndings(" ") + " …";

    /// <summary>What one stream has shown so far.</summary>
    private sealed class StreamState(string label, long start)
    {
        private readonly List<long> _chunkTimes = [];
        private readonly StringBuilder _text = new();
        private int? _usageTokens;
        private int? _promptTokens;

        public string? Error { get; private set; }

        public void Read(ReadOnlyMemory<char> data, long now)
        {
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                Error = "error event: " + Shorten(error.GetRawText());
                return;
            }
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && Content(choices[0]) is { Length: > 0 } text)
            {
                // a chat's first chunk carries only the role: content starts with the first token
                _chunkTimes.Add(now);
                _text.Append(text);
            }
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out var n)) _usageTokens = n;
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var m)) _promptTokens = m;
            }
        }

        public RequestResult Finish() => Result(null);

        public RequestResult Fail(string error) => Result(error);

        private RequestResult Result(string? error)
        {
            var gaps = new float[Math.Max(0, _chunkTimes.Count - 1)];
            for (var i = 1; i < _chunkTimes.Count; i++) gaps[i - 1] = (float)Stopwatch.GetElapsedTime(_chunkTimes[i - 1], _chunkTimes[i]).TotalMilliseconds;
            return new RequestResult(label, start, _chunkTimes.Count > 0 ? _chunkTimes[0] : 0, Stopwatch.GetTimestamp(), _usageTokens ?? _chunkTimes.Count,
                _chunkTimes.Count, _usageTokens, _promptTokens, gaps, _text.ToString(), error);
        }

        private static string? Content(JsonElement choice)
        {
            if (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) return text.GetString();
            return choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null;
        }
    }
}
