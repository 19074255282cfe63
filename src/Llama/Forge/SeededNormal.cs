namespace Chorus.Llama.Forge;

/// <summary>
/// Gaussian numbers that are bit-identical on every machine: SplitMix64 for uniforms, Marsaglia's polar form of
/// Box-Muller (no sine or cosine), and a logarithm built from IEEE-exact operations — Math.Log may differ in the last
/// bit between C runtimes, which would make the same seed forge different files on different machines.
/// </summary>
internal struct SeededNormal
{
    private const double Ln2 = 0.6931471805599453;
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public SeededNormal(ulong seed) => _state = seed;

    /// <summary>A well-mixed seed for one stream of a forge (seed, tensor, chunk) so streams can run in parallel.</summary>
    public static ulong StreamSeed(ulong seed, int tensor, long chunk)
    {
        var s = Mix(seed ^ 0x243F6A8885A308D3UL);
        s = Mix(s ^ ((ulong)tensor * 0x9E3779B97F4A7C15UL));
        return Mix(s ^ ((ulong)chunk * 0xC2B2AE3D27D4EB4FUL));
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextUniform() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * NextUniform() - 1;
            v = 2 * NextUniform() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        var factor = Math.Sqrt(-2 * PortableLog(s) / s); // sqrt is correctly rounded by IEEE 754
        _spare = v * factor;
        _hasSpare = true;
        return u * factor;
    }

    /// <summary>Fills a span with N(0, std²) samples.</summary>
    public void Fill(Span<float> destination, double std)
    {
        for (var i = 0; i < destination.Length; i++) destination[i] = (float)(NextGaussian() * std);
    }

    /// <summary>ln(x) for finite x &gt; 0 using only +, −, ×, ÷ (deterministic everywhere), accurate to ~1e-16 relative.</summary>
    internal static double PortableLog(double x)
    {
        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF);
        if (exponent == 0) // subnormal: scale into the normal range first
        {
            x *= 18014398509481984.0; // 2^54
            bits = BitConverter.DoubleToInt64Bits(x);
            exponent = (int)((bits >> 52) & 0x7FF) - 54;
        }
        var e = exponent - 1023;
        var m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // [1, 2)
        if (m > 1.4142135623730951) { m *= 0.5; e++; } // [√½, √2): keeps the series short
        // ln m = 2·atanh(t), t = (m−1)/(m+1), |t| ≤ 0.172
        var t = (m - 1) / (m + 1);
        var t2 = t * t;
        var term = t;
        var sum = 0.0;
        for (var k = 1; k <= 25; k += 2) // t^27 < 1e-20: the remaining terms vanish in double precision
        {
            sum += term / k;
            term *= t2;
        }
        return e * Ln2 + 2 * sum;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
