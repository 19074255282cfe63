namespace Chorus.Fusion;

/// <summary>A next-byte distribution: 257 symbols, the 256 byte values and <see cref="End"/> (the text ends here).</summary>
public static class ByteDistribution
{
    /// <summary>Index of the "end of text" symbol.</summary>
    public const int End = 256;

    /// <summary>Symbols of a next-byte distribution.</summary>
    public const int Symbols = 257;

    /// <summary>Turns non-negative masses into log-probabilities (−∞ where the mass is 0); false when all are 0.</summary>
    public static bool LogNormalize(ReadOnlySpan<double> mass, Span<double> logProbs)
    {
        double total = 0;
        foreach (var m in mass) total += m;
        if (!(total > 0))
        {
            logProbs.Fill(double.NegativeInfinity);
            return false;
        }
        var logTotal = Math.Log(total);
        for (var i = 0; i < mass.Length; i++) logProbs[i] = mass[i] > 0 ? Math.Log(mass[i]) - logTotal : double.NegativeInfinity;
        return true;
    }

    /// <summary>Renormalises log-probabilities in place (after a mask); false when nothing is left.</summary>
    public static bool Renormalize(Span<double> logProbs)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logProbs) max = Math.Max(max, l);
        if (double.IsNegativeInfinity(max)) return false;
        double sum = 0;
        foreach (var l in logProbs) sum += Math.Exp(l - max);
        var log = max + Math.Log(sum);
        for (var i = 0; i < logProbs.Length; i++) logProbs[i] -= log;
        return true;
    }
}
