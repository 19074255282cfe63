using System.Globalization;

namespace Chorus.Fusion;

/// <summary>
/// Typed reading of a method's string parameters. Every read records the key as known, so that
/// <see cref="EnsureAllUsed"/> can reject a misspelt key by naming the ones the method understands.
/// </summary>
public sealed class MethodParameters
{
    private readonly string _method;
    private readonly IReadOnlyDictionary<string, string> _values;
    private readonly List<string> _known = [];

    public MethodParameters(string method, IReadOnlyDictionary<string, string>? values)
    {
        _method = method;
        _values = values ?? new Dictionary<string, string>();
    }

    /// <summary>A number in [min, max]; NaN and infinities are rejected.</summary>
    public double GetDouble(string key, double defaultValue, double min, double max)
    {
        if (!TryGet(key, out var text)) return defaultValue;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw Error($"parameter '{key}' of '{_method}' must be a number, got '{text}'");
        if (v < min || v > max)
            throw Error($"parameter '{key}' of '{_method}' must be between {Format(min)} and {Format(max)}, got {text}");
        return v;
    }

    /// <summary>An integer in [min, max].</summary>
    public int GetInt(string key, int defaultValue, int min, int max)
    {
        if (!TryGet(key, out var text)) return defaultValue;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw Error($"parameter '{key}' of '{_method}' must be an integer, got '{text}'");
        if (v < min || v > max)
            throw Error($"parameter '{key}' of '{_method}' must be between {min} and {max}, got {v}");
        return v;
    }

    /// <summary>One of a fixed set of words.</summary>
    public string GetChoice(string key, string defaultValue, params string[] choices)
    {
        if (!TryGet(key, out var text)) return defaultValue;
        foreach (var c in choices) if (string.Equals(c, text, StringComparison.OrdinalIgnoreCase)) return c;
        throw Error($"parameter '{key}' of '{_method}' must be one of {string.Join(", ", choices)}, got '{text}'");
    }

    /// <summary>A raw string (for nested method names and their parameters).</summary>
    public string? GetString(string key)
    {
        _known.Add(key);
        return _values.TryGetValue(key, out var text) ? text : null;
    }

    /// <summary>Comma-separated weights, one per member: finite, non-negative, summing to 1 (±1e-3).</summary>
    public float[]? GetWeights(string key)
    {
        if (!TryGet(key, out var text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var weights = new float[parts.Length];
        double sum = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !double.IsFinite(w) || w < 0)
                throw Error($"parameter '{key}' of '{_method}' must be non-negative numbers separated by commas, got '{parts[i]}' in '{text}'");
            weights[i] = (float)w;
            sum += w;
        }
        if (parts.Length == 0 || Math.Abs(sum - 1) > 1e-3)
            throw Error($"parameter '{key}' of '{_method}' must sum to 1, got {Format(sum)} ('{text}'); divide each weight by their sum");
        return weights;
    }

    /// <summary>Every key given, for methods that forward the rest to an inner method.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>Marks a key as understood without reading it (it was forwarded).</summary>
    public void Accept(string key) => _known.Add(key);

    /// <summary>Throws for any key no read asked for.</summary>
    public void EnsureAllUsed()
    {
        foreach (var key in _values.Keys)
        {
            if (_known.Contains(key)) continue;
            var known = _known.Count == 0 ? "none" : string.Join(", ", _known.Distinct());
            throw Error($"unknown parameter '{key}' for fusion method '{_method}' (known: {known})");
        }
    }

    private bool TryGet(string key, out string text)
    {
        _known.Add(key);
        if (_values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)) { text = value.Trim(); return true; }
        text = "";
        return false;
    }

    private static FusionParameterException Error(string message) => new(message);

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
