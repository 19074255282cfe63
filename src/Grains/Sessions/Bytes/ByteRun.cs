using Chorus.Contracts;
using Chorus.Fusion;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// A fused request of method <c>byte</c>: the members (resolved, admitted and released by a <see cref="FusedRun"/>, so
/// every sequence — forks included — is freed with the session on every exit path), one <see cref="ByteMember"/> each,
/// the weighting rule, and the UTF-8 state of the text. Per byte: <see cref="Fuse"/> mixes the members' next-byte
/// distributions under the UTF-8 mask; <see cref="AdvanceAsync"/> feeds the chosen byte to the weights and to every
/// member's tree in parallel (each member's new branches decode in one batched step of its model).
/// </summary>
internal sealed class ByteRun : IAsyncDisposable
{
    private readonly double[] _fused = new double[ByteDistribution.Symbols];
    private readonly double[] _observed;
    private readonly List<double[]> _memberLogProbs;
    private Utf8Continuation _utf8;
    private ByteWeighting? _weighting;

    private ByteRun(FusedRun run, ByteMethod method)
    {
        Run = run;
        Method = method;
        Members = run.Members.Select(m => new ByteMember(m, method.Pruning)).ToList();
        _observed = new double[Members.Count];
        _memberLogProbs = Members.Select(m => m.LogProbs).ToList();
    }

    public FusedRun Run { get; }
    public ByteMethod Method { get; }
    public IReadOnlyList<ByteMember> Members { get; }

    /// <summary>Bytes chosen (or read, when scoring) after the prompt.</summary>
    public long Bytes { get; private set; }

    /// <summary>The member weights for the next byte.</summary>
    public ReadOnlySpan<double> Weights => _weighting!.Current;

    /// <summary>Byte-level fusion over members already resolved (by a session, which admits and releases them).</summary>
    public static ByteRun Over(FusedRun run, ByteMethod method) => new(run, method);

    public static async Task<ByteRun> ResolveAsync(Guid session, IReadOnlyList<MemberPlan> plans, ByteMethod method, string prompt,
        IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ILogger logger) =>
        new(await FusedRun.ResolveAsync(session, plans, method, prompt, grains, directory, catalog, logger), method);

    /// <summary>
    /// Opens every member on its prompt in parallel — the shared prompt, or the conversation in the member's own chat
    /// template — and prepares the weights from what they saw of it.
    /// </summary>
    public async Task OpenAsync(VocabularyCatalog catalog, CancellationToken ct)
    {
        await Task.WhenAll(Members.Select(m => m.OpenAsync(m.Member.Prompt, m.Member.IsChat, ct)));
        var session = (ByteSession)Method.Prepare(new FusionRequest
        {
            Members = Members.Select(m => new FusionMember(m.Member.Name, m.Member.Vocabulary, m.Member.Plan.Role) { ParameterCount = m.Member.Facts.Parameters }).ToList(),
            Evidence = Members.Select(m => m.Evidence!.ToEvidence()).ToList(),
            PromptText = Run.Prompt,
            Maps = catalog.Maps,
        });
        _weighting = session.Weighting;
    }

    /// <summary>The fused next-byte log-probabilities (257, masked to valid UTF-8); the buffer is reused by the next call.</summary>
    public double[] Fuse()
    {
        if (!ByteMixture.Mix(Weights, _memberLogProbs, _utf8, _fused))
            throw new ChorusException(ChorusErrorKind.Internal, "no member gives any valid next byte mass; the members cannot continue this text");
        return _fused;
    }

    /// <summary>The fused log-probability of a byte under the UTF-8 mask, renormalised (after <see cref="Fuse"/>): what generation samples from.</summary>
    public double LogProb(int symbol) => _fused[symbol];

    /// <summary>The fused score of a byte: Σ_k w_k q_k(b) with no mask and no renormalisation, the rule members and token-level methods are scored by.</summary>
    public double ScoreLogProb(int symbol) => ByteMixture.LogProbOf(Weights, _memberLogProbs, symbol);

    /// <summary>Feeds a byte to the weights and every member.</summary>
    public async Task AdvanceAsync(byte b, CancellationToken ct)
    {
        for (var k = 0; k < Members.Count; k++) _observed[k] = Members[k].LogProbs[b];
        _weighting!.Observe(_observed);
        if (_utf8.Allows(b)) _utf8.Push(b);
        else _utf8 = default; // only a scored text can bring such a byte: it is not valid UTF-8 — start over at a boundary
        Bytes++;
        await Task.WhenAll(Members.Select(m => m.AdvanceAsync(b, ct)));
    }

    /// <summary>What the run measured: per member the pruning bound, decodes and forks per byte, the most branches at once.</summary>
    public Dictionary<string, double> Diagnostics()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal) { ["bytes"] = Bytes };
        foreach (var m in Members)
        {
            var t = m.Tree;
            var name = m.Member.Name;
            var upper = t.Slack / Math.Log(2);
            var lower = upper - Math.Log(1 + Math.Exp(t.LogDropped - t.LogPrefixMass)) / Math.Log(2);
            d[$"{name}.bound-bits-upper"] = upper; // log2 Π q − log2 P(text) ≤ this
            if (double.IsFinite(lower)) d[$"{name}.bound-bits-lower"] = lower; // … ≥ this (vacuous, −∞, once early drops outweigh the text)
            d[$"{name}.max-dropped-share"] = t.MaxDroppedShare;
            d[$"{name}.decodes"] = m.Decodes;
            d[$"{name}.forks"] = m.Forks;
            d[$"{name}.fork-refusals"] = m.ForkRefusals;
            d[$"{name}.peak-branches"] = t.PeakBranches;
            d[$"{name}.replayed-bytes"] = m.ReplayedBytes;
            d[$"{name}.following"] = m.Following ? 1 : 0;
        }
        return d;
    }

    /// <summary>Makes each member's handle one of its live branch sequences (the one it was granted may be closed by now).</summary>
    public void PointMembersAtLiveSequences()
    {
        foreach (var m in Members)
            if (m.Tree.Branches.Count > 0 && m.Tree.Branches[0].Sequence is SequenceHandle live) m.Member.Sequence!.Adopt(live);
    }

    public ValueTask DisposeAsync() => Run.DisposeAsync();
}
