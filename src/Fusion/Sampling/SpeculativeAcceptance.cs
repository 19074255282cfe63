namespace Chorus.Fusion;

/// <summary>
/// The acceptance rule of speculative sampling (Leviathan et al. 2023; Fu et al. 2025 use it with the fused
/// distribution as the target): a token x drafted from the proposal p is kept with probability min(1, q(x) / p(x));
/// when it is not, the token is drawn from norm(max(0, q − p)). Either way the token that comes out is distributed
/// exactly as q, whatever p is — so a speculative generation samples from the same distribution as the plain one.
/// Both q and p are what <see cref="Sampler.Probabilities"/> gives (temperature, top-k, min-p and top-p applied), and
/// the draws come from the request's own seeded stream. Greedy decoding needs none of this: a draft is kept exactly
/// when it is the fused arg-max.
/// </summary>
/// <remarks>
/// Why the output is q: P(out = x) = p(x)·min(1, q(x)/p(x)) + P(reject)·r(x) with r = max(0, q − p) / Σ max(0, q − p).
/// The first term is min(p(x), q(x)); P(reject) = 1 − Σ min(p, q) = Σ max(0, q − p), so the second is max(0, q(x) − p(x)).
/// Their sum is q(x).
/// </remarks>
public sealed class SpeculativeAcceptance(Sampler sampler)
{
    public Sampler Sampler { get; } = sampler ?? throw new ArgumentNullException(nameof(sampler));

    /// <summary>Draws a token from probabilities (by token id order: the same draw gives the same token on every run).</summary>
    public int Draw(ReadOnlySpan<double> probabilities) => Draw(probabilities, Sampler.NextUniform());

    /// <summary>The token a uniform draw <paramref name="uniform"/> in [0, 1) picks (inverse CDF in token id order).</summary>
    public static int Draw(ReadOnlySpan<double> probabilities, double uniform)
    {
        double total = 0;
        foreach (var p in probabilities) total += p;
        if (!(total > 0)) throw new ArgumentException("cannot draw from a distribution with no mass", nameof(probabilities));
        var u = uniform * total;
        double running = 0;
        var last = -1;
        for (var t = 0; t < probabilities.Length; t++)
        {
            if (probabilities[t] <= 0) continue;
            running += probabilities[t];
            last = t;
            if (u < running) return t;
        }
        return last; // u landed on the rounding edge of the last interval
    }

    /// <summary>A drafter's distribution as log-probabilities over its whole vocabulary (−∞ outside a top-k): what a proposal is drawn from.</summary>
    public static void ProposalLogProbs(TokenDistribution distribution, Span<float> logProbs)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        if (distribution.IsFull)
        {
            var logits = distribution.Logits;
            for (var t = 0; t < logProbs.Length; t++) logProbs[t] = logits[t] - distribution.LogSumExp;
            return;
        }
        logProbs.Fill(float.NegativeInfinity);
        var top = distribution.TopTokens;
        var lps = distribution.TopLogProbs;
        for (var t = 0; t < top.Length; t++) logProbs[top[t]] = lps[t];
    }

    /// <summary>Keeps <paramref name="token"/>, drafted from <paramref name="proposal"/>, with probability min(1, q/p).</summary>
    public bool Accept(ReadOnlySpan<double> target, ReadOnlySpan<double> proposal, int token)
    {
        var q = target[token];
        var p = proposal[token];
        if (q >= p) return true; // also settles p = 0 (never drafted) without a division
        return Sampler.NextUniform() < q / p;
    }

    /// <summary>The token after a rejection: a draw from norm(max(0, q − p)), written into <paramref name="scratch"/>.</summary>
    public int Resample(ReadOnlySpan<double> target, ReadOnlySpan<double> proposal, Span<double> scratch)
    {
        double total = 0;
        for (var t = 0; t < target.Length; t++)
        {
            var r = Math.Max(0, target[t] - proposal[t]);
            scratch[t] = r;
            total += r;
        }
        // q = p up to rounding: a rejection was (nearly) impossible, and q itself is the right law
        return total > 1e-12 ? Draw(scratch[..target.Length]) : Draw(target);
    }
}
