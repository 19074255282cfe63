namespace Chorus.Bench.Load;

/// <summary>Which server a target is: what its metrics mean and how it is asked.</summary>
internal enum ServerKind
{
    /// <summary>llama.cpp's llama-server: <c>/metrics</c> on the API port (started with <c>--metrics</c>).</summary>
    Llama,

    /// <summary>A chorus-silo's OpenAI API; its Prometheus endpoint is on <c>Chorus:Cluster:MetricsPort</c>.</summary>
    Chorus,
}

/// <summary>
/// One server under load: <c>NAME=URL[,kind=llama|chorus][,model=ID][,metrics=URL]</c> on the command line. The model
/// is what requests name (llama-server ignores it; for Chorus a model id or a pack name, docs/openai.md).
/// </summary>
internal sealed record ServerTarget(string Name, Uri BaseUrl, ServerKind Kind, string Model, Uri? MetricsUrl)
{
    public static ServerTarget Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var head = parts.Length > 0 ? parts[0].Split('=', 2) : [];
        if (head.Length != 2 || !Uri.TryCreate(head[1], UriKind.Absolute, out var url))
            throw new ArgumentException($"--target '{text}': expected NAME=URL[,kind=llama|chorus][,model=ID][,metrics=URL], e.g. llama-server=http://127.0.0.1:8080,kind=llama");
        var kind = head[0].Contains("llama", StringComparison.OrdinalIgnoreCase) ? ServerKind.Llama : ServerKind.Chorus;
        var model = "bench";
        Uri? metrics = null;
        foreach (var option in parts.Skip(1))
        {
            var kv = option.Split('=', 2);
            var value = kv.Length == 2 ? kv[1] : "";
            switch (kv[0])
            {
                case "kind" when Enum.TryParse<ServerKind>(value, ignoreCase: true, out var k): kind = k; break;
                case "model": model = value; break;
                case "metrics" when Uri.TryCreate(value, UriKind.Absolute, out var m): metrics = m; break;
                default: throw new ArgumentException($"--target '{text}': unknown or malformed option '{option}' (kind=llama|chorus, model=ID, metrics=URL)");
            }
        }
        // llama-server serves its metrics on the API port when started with --metrics
        if (metrics is null && kind == ServerKind.Llama) metrics = new Uri(url, "/metrics");
        return new ServerTarget(head[0], url, kind, model, metrics);
    }
}
