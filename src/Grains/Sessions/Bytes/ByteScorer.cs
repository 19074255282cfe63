using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// Scores a text under method <c>byte</c> (teacher forcing, byte by byte). The prompt is chosen as for every method
/// (<see cref="FusedScorer"/>: the main member's first min(128, n/4) tokens, moved to a word start); every byte after it
/// is scored by the members' weighted next-byte mixture as it is — no UTF-8 mask, no renormalisation, the rule every
/// member and token-level method is scored by — and then fed to every member. The result counts bytes, not tokens:
/// <c>Tokens</c> = bytes scored, perplexity per byte, bits per byte as for every method; each member is also scored
/// alone in its own tokens, and its own byte-level NLL in bits (exact up to the pruning bound) is in the diagnostics.
/// </summary>
internal static class ByteScorer
{
    public static async Task<ScoreResult> ScoreAsync(Guid session, IReadOnlyList<MemberPlan> plans, ByteMethod method, ScoreRequest request,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ILogger logger, CancellationToken ct)
    {
        var (text, _, p, promptChars) = await FusedScorer.SplitAsync(plans, request, grains, directory, catalog);

        await using var run = await ErrorMapping.GuardAsync(() => ByteRun.ResolveAsync(session, plans, method, text[..promptChars], grains, directory, catalog, logger));
        await foreach (var _ in run.Run.AdmitAsync(ct)) { } // no stream to report queue positions on: it just waits
        await ErrorMapping.GuardAsync(async () => { await run.OpenAsync(catalog, ct); return true; });
        var bytes = System.Text.Encoding.UTF8.GetBytes(text[promptChars..]);
        var weightSums = new double[plans.Count];
        var memberNll = new double[plans.Count];
        double nll = 0, maskedNll = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            run.Fuse();
            nll -= run.ScoreLogProb(bytes[i]); // the mixture as it is: the same rule as every member and method
            maskedNll -= run.LogProb(bytes[i]); // under the UTF-8 mask, renormalised (generation's rule; reported only)
            for (var k = 0; k < weightSums.Length; k++)
            {
                weightSums[k] += run.Weights[k];
                memberNll[k] -= run.Members[k].LogProbs[bytes[i]];
            }
            await ErrorMapping.GuardAsync(async () => { await run.AdvanceAsync(bytes[i], ct); return true; });
        }

        var diagnostics = run.Diagnostics();
        diagnostics["masked-renormalised-bits"] = maskedNll / Math.Log(2); // what the score was before it stopped renormalising under the mask
        // each member's own byte-level NLL of the scored bytes, in bits (÷ "bytes" = its byte-level bits per byte; totals add up over texts)
        for (var k = 0; k < plans.Count; k++) diagnostics[$"{run.Members[k].Member.Name}.byte-bits"] = memberNll[k] / Math.Log(2);
        run.PointMembersAtLiveSequences(); // a member's first sequence may have ended with its root branch
        var n = Math.Max(1, bytes.Length);
        var members = await Task.WhenAll(run.Run.Members.Select((m, k) => FusedScorer.ScoreMember(m, text, promptChars, weightSums[k] / n, ct)));
        return new ScoreResult(method.Name, bytes.Length, Math.Exp(nll / n), nll / n, members, p,
            weightSums.Select(w => (float)(w / n)).ToArray(), bytes.Length, ByteLoss.BitsPerByte(nll, bytes.Length))
        {
            Diagnostics = diagnostics,
        };
    }
}
