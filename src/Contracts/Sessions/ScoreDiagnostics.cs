namespace Chorus.Contracts;

/// <summary>
/// How a score's diagnostics add up over windows: totals (decodes, forks, bits) are summed; shares and branch counts
/// are peaks, so the larger one is kept. One rule for the cluster's windows and for <c>chorus eval</c>'s.
/// </summary>
public static class ScoreDiagnostics
{
    /// <summary>Adds one window's <paramref name="value"/> of <paramref name="key"/> into <paramref name="totals"/>.</summary>
    public static void Accumulate(IDictionary<string, double> totals, string key, double value)
    {
        ArgumentNullException.ThrowIfNull(totals);
        ArgumentNullException.ThrowIfNull(key);
        var peak = key.EndsWith("-share", StringComparison.Ordinal) || key.EndsWith("branches", StringComparison.Ordinal);
        totals[key] = totals.TryGetValue(key, out var sum) ? (peak ? Math.Max(sum, value) : sum + value) : value;
    }
}
