using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// Scores a text under method <c>byte</c> (teacher forcing, byte by byte: <see cref="ByteScoringStepper"/> through the one
/// <see cref="GenerationLoop"/>). The prompt is chosen as for every method
/// (<see cref="FusedScorer"/>: the main member's first min(128, n/4) tokens, moved to a word start); every byte after it
/// is scored by the members' weighted next-byte mixture as it is — no UTF-8 mask, no renormalisation, the rule every
/// member and token-level method is scored by — and then fed to every member. The result counts bytes, not tokens:
/// <c>Tokens</c> = bytes scored, perplexity per byte, bits per byte as for every method; each member is also scored
/// alone in its own tokens, and its own byte-level NLL in bits (exact up to the pruning bound) is in the diagnostics.
/// </summary>
internal static class ByteScorer
{
    public static async Task<ScoreResult> ScoreAsync(Guid session, IReadOnlyList<MemberPlan> plans, ByteMethod method, ScoreRequest request,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ChorusMetrics metrics, ILogger logger, CancellationToken ct)
    {
        var (text, _, p, promptChars) = await FusedScorer.SplitAsync(plans, request, grains, directory, catalog);

        await using var run = await ByteRun.ResolveAsync(session, plans, method, text[..promptChars], grains, directory, catalog, logger);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text[promptChars..]);
        await using var scoring = new ByteScoringStepper(run, catalog, bytes);
        await FusedScorer.DriveAsync(session, method.Name, scoring, metrics, ct);

        var diagnostics = run.Diagnostics();
        diagnostics["masked-renormalised-bits"] = scoring.MaskedNll / Math.Log(2); // what the score was before it stopped renormalising under the mask
        // each member's own byte-level NLL of the scored bytes, in bits (÷ "bytes" = its byte-level bits per byte; totals add up over texts)
        for (var k = 0; k < plans.Count; k++) diagnostics[$"{run.Members[k].Member.Name}.byte-bits"] = scoring.MemberNll[k] / Math.Log(2);
        run.PointMembersAtLiveSequences(); // a member's first sequence may have ended with its root branch
        var n = Math.Max(1, bytes.Length);
        var members = await Task.WhenAll(run.Run.Members.Select((m, k) => FusedScorer.ScoreMember(m, text, promptChars, scoring.WeightSums[k] / n, ct)));
        return new ScoreResult(method.Name, bytes.Length, Math.Exp(scoring.Nll / n), scoring.Nll / n, members, p,
            scoring.WeightSums.Select(w => (float)(w / n)).ToArray(), bytes.Length, ByteLoss.BitsPerByte(scoring.Nll, bytes.Length))
        {
            Diagnostics = diagnostics,
        };
    }
}
