using Chorus.Llama.Forge;

namespace Chorus.Llama.Merging;

/// <summary>How task vectors are thinned before they are mixed.</summary>
public enum Sparsification
{
    /// <summary>Every entry kept (task arithmetic).</summary>
    None,

    /// <summary>The k = ⌊density·n⌋ largest magnitudes kept (TIES).</summary>
    Magnitude,

    /// <summary>Each entry kept with probability density, seeded (DARE).</summary>
    Random,
}

/// <summary>
/// One task-vector merge's settings, as mergekit's generalized task arithmetic takes them.
/// </summary>
/// <param name="Sparsification">How each τ_i = m_i − base is thinned.</param>
/// <param name="SignConsensus">TIES's election: keep only entries whose weighted sign agrees with the sign of Σ_i w_i τ̂_i.</param>
/// <param name="Normalize">Divide the mixed delta by the weights that contributed (Σ_i w_i, or Σ over agreeing entries with consensus).</param>
/// <param name="Lambda">Scales the mixed delta before it is added to the base.</param>
/// <param name="Rescale">Magnitude: rescale each trimmed τ̂ to the L1 norm of τ (mergekit); random: rescale kept entries by
/// 1/density (DARE's paper and mergekit before its L1 rescale; the expectation of τ̂ is then τ).</param>
/// <param name="Density">Share of each task vector kept, in (0, 1].</param>
/// <param name="Seed">Seeds the random drop masks, one stream per (seed, tensor, model).</param>
public sealed record TaskVectorOptions(Sparsification Sparsification, bool SignConsensus, bool Normalize, double Lambda, bool Rescale, double Density, ulong Seed = 1);

/// <summary>
/// mergekit's generalized task arithmetic, one tensor at a time: thin each task vector τ_i = m_i − base, weight it by w_i
/// (negative weights subtract a task), optionally elect a sign per entry and keep the agreeing entries, optionally normalise
/// by the contributing weights (a zero divisor counts as 1), scale by λ and add to the base:
/// out = base + λ · Σ_i w_i τ̂_i [agree] / divisor. task_arithmetic, ties, dare_linear and dare_ties are settings of it.
/// </summary>
public static class TaskVectorMerge
{
    public static void Merge(ReadOnlySpan<float> baseModel, IReadOnlyList<ReadOnlyMemory<float>> models, ReadOnlySpan<double> weights,
        TaskVectorOptions options, int tensorIndex, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(options);
        TensorMergeChecks.Same(models, weights, output);
        TensorMergeChecks.SameLength(baseModel, output, "base");
        TensorMergeChecks.Density(options.Density);
        if (!double.IsFinite(options.Lambda)) throw new ArgumentException($"lambda must be a finite number, not {options.Lambda}");
        var n = output.Length;
        var deltas = new double[models.Count][];
        var scratch = new float[n];
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i].Span;
            var tau = new float[n];
            for (var j = 0; j < n; j++) tau[j] = m[j] - baseModel[j];
            deltas[i] = Thin(tau, options, tensorIndex, i, scratch);
        }
        for (var j = 0; j < n; j++)
        {
            var elected = 0;
            if (options.SignConsensus)
            {
                double vote = 0;
                for (var i = 0; i < deltas.Length; i++) vote += weights[i] * deltas[i][j];
                elected = vote >= 0 ? 1 : -1; // mergekit: a zero vote counts as +
            }
            double sum = 0, divisor = 0;
            for (var i = 0; i < deltas.Length; i++)
            {
                var weighted = weights[i] * deltas[i][j];
                if (options.SignConsensus && Math.Sign(weighted) != elected) continue; // a dropped (zero) entry never agrees
                sum += weighted;
                divisor += weights[i];
            }
            // mergekit's guards: with consensus a divisor of exactly 0 (nothing agreed), without it |Σ w| < 1e-8, becomes 1
            if (options.SignConsensus ? divisor == 0 : Math.Abs(divisor) < 1e-8) divisor = 1;
            var delta = options.Normalize ? sum / divisor : sum;
            output[j] = (float)(baseModel[j] + options.Lambda * delta);
        }
    }

    private static double[] Thin(float[] tau, TaskVectorOptions options, int tensorIndex, int model, float[] scratch)
    {
        var result = new double[tau.Length];
        switch (options.Sparsification)
        {
            case Sparsification.None:
                for (var j = 0; j < tau.Length; j++) result[j] = tau[j];
                break;
            case Sparsification.Magnitude:
                double before = 0, after = 0;
                foreach (var v in tau) before += Math.Abs(v);
                TiesMerge.TrimToTopMagnitudes(tau, options.Density, scratch);
                foreach (var v in tau) after += Math.Abs(v);
                // mergekit's L1 rescale, skipped when either norm is below its eps
                var scale = options.Rescale && before >= 1e-7 && after >= 1e-7 ? before / after : 1;
                for (var j = 0; j < tau.Length; j++) result[j] = scale * tau[j];
                break;
            case Sparsification.Random:
                var random = new SeededNormal(SeededNormal.StreamSeed(options.Seed, tensorIndex, model));
                var keptScale = options.Rescale ? 1 / options.Density : 1;
                for (var j = 0; j < tau.Length; j++)
                    if (random.NextUniform() < options.Density) result[j] = keptScale * tau[j];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Sparsification, "unknown sparsification");
        }
        return result;
    }
}
