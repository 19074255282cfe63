namespace Chorus.Llama.Merging;

/// <summary>
/// Spherical linear interpolation of two models, one tensor at a time, as mergekit's <c>slerp</c>: the angle comes from the
/// normalised tensors, the interpolation is applied to the original ones; nearly colinear tensors (|cos| &gt; 0.9995) are
/// interpolated linearly, where the spherical formula is numerically unstable. t = 0 gives the first model, t = 1 the second.
/// </summary>
public static class SlerpMerge
{
    public const double ColinearThreshold = 0.9995;
    private const double NormEpsilon = 1e-8;

    public static void Merge(ReadOnlySpan<float> first, ReadOnlySpan<float> second, double t, Span<float> output)
    {
        TensorMergeChecks.SameLength(first, output, "the first model");
        TensorMergeChecks.SameLength(second, output, "the second model");
        if (!(t >= 0 && t <= 1)) throw new ArgumentException($"slerp's t must be in [0, 1], not {t}");
        double dot = 0, n0 = 0, n1 = 0;
        for (var j = 0; j < first.Length; j++)
        {
            dot += (double)first[j] * second[j];
            n0 += (double)first[j] * first[j];
            n1 += (double)second[j] * second[j];
        }
        // mergekit normalises a copy only when its norm exceeds eps; a zero tensor keeps its (zero) values
        n0 = Math.Sqrt(n0);
        n1 = Math.Sqrt(n1);
        var cos = dot / (n0 > NormEpsilon ? n0 : 1) / (n1 > NormEpsilon ? n1 : 1);
        double s0, s1;
        if (Math.Abs(cos) > ColinearThreshold)
        {
            s0 = 1 - t;
            s1 = t;
        }
        else
        {
            var theta0 = Math.Acos(cos);
            var sinTheta0 = Math.Sin(theta0);
            var thetaT = theta0 * t;
            s0 = Math.Sin(theta0 - thetaT) / sinTheta0;
            s1 = Math.Sin(thetaT) / sinTheta0;
        }
        for (var j = 0; j < output.Length; j++) output[j] = (float)(s0 * first[j] + s1 * second[j]);
    }
}
