namespace Chorus.Bench.Load.Report;

/// <summary>Percentiles by linear interpolation between the closest ranks (numpy's default).</summary>
internal static class Percentiles
{
    public static double? Of(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var rank = percentile / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static double? Median(IEnumerable<double> values) => Of(values, 50);
}
