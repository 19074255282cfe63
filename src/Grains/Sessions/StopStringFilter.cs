namespace Chorus.Grains;

/// <summary>Holds back streamed text that could still become a stop string; reports when one appears.</summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private readonly string[] _stops = stops.Where(s => !string.IsNullOrEmpty(s)).ToArray();
    private string _pending = "";

    /// <summary>Adds text; returns what is safe to emit, and whether a stop string was reached (text after it is dropped).</summary>
    public (string Emit, bool Stopped) Push(string text)
    {
        _pending += text;
        foreach (var stop in _stops)
        {
            var at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                var emit = _pending[..at];
                _pending = "";
                return (emit, true);
            }
        }
        var hold = 0;
        foreach (var stop in _stops)
            for (var len = Math.Min(stop.Length - 1, _pending.Length); len > hold; len--)
                if (_pending.EndsWith(stop[..len], StringComparison.Ordinal)) { hold = len; break; }
        var safe = _pending[..^hold];
        _pending = _pending[^hold..];
        return (safe, false);
    }

    /// <summary>Whatever is still held back (no stop string came).</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = "";
        return rest;
    }
}
