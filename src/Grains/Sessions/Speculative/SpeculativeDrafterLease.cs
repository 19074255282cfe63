using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The drafter's sequence for one speculative generation: a member's own (the main member unless another is named), or
/// one sequence of a separate model of the main vocabulary, admitted and prefilled here and released on dispose (the
/// session's release of its members covers only the members' models).
/// </summary>
internal sealed class SpeculativeDrafterLease : IAsyncDisposable
{
    /// <summary>The top-k a separate drafter sends per draft (a proposal restricted to its top-k is still exact).</summary>
    public const int DrafterTopK = 64;

    private readonly IModelGrain? _external;
    private readonly Guid _session;

    private SpeculativeDrafterLease(DraftSequence sequence, int memberIndex, IModelGrain? external, Guid session)
    {
        Sequence = sequence;
        MemberIndex = memberIndex;
        _external = external;
        _session = session;
    }

    public DraftSequence Sequence { get; }

    /// <summary>The drafting member, or −1 for a separate drafter model.</summary>
    public int MemberIndex { get; }

    public static async Task<SpeculativeDrafterLease> OpenAsync(FusedRun run, string? drafter, DraftSequence?[] sequences, SpeculativeContext context, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(drafter) ? run.Main.Name : drafter.Trim();
        for (var i = 0; i < run.Members.Count; i++)
        {
            var m = run.Members[i];
            if (!string.Equals(m.Name, name, StringComparison.Ordinal) || !m.Active) continue;
            if (!m.SharesMainVocabulary)
                throw new ChorusException(ChorusErrorKind.FailedPrecondition,
                    $"drafter '{name}' has another vocabulary than main '{run.Main.Name}'; drafts are main-vocabulary tokens: name a member or model that shares it");
            return new SpeculativeDrafterLease(sequences[i]!, i, null, context.Session);
        }
        context.Directory.EnsureServed(name);
        var grain = ModelGrains.Get(context.Grains, name);
        var facts = await grain.Describe();
        if (facts.VocabularyHash != run.Main.Facts.VocabularyHash)
            throw new ChorusException(ChorusErrorKind.FailedPrecondition,
                $"drafter '{name}' ({facts.VocabularySize} tokens, {facts.VocabularyKind}) has another vocabulary than main '{run.Main.Name}'; drafts are main-vocabulary tokens: pick a drafter that shares it");
        SequenceHandle? handle = null;
        try
        {
            await foreach (var e in grain.Admit(context.Session, 1, ct))
                if (e is AdmissionGranted granted) handle = granted.Handles[0];
            if (handle is null) throw new ChorusException(ChorusErrorKind.Internal, $"drafter '{name}' ended admission without granting a slot");
            var opened = await grain.Prefill(handle, run.Prompt, DrafterTopK, 0, evidence: false, ct);
            var sequence = new DraftSequence(grain, handle, opened.Evidence.TokenIds.Length, facts.ContextSize, opened.Next.ToDistribution());
            return new SpeculativeDrafterLease(sequence, -1, grain, context.Session);
        }
        catch
        {
            await Release(grain, context.Session);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_external is not null) await Release(_external, _session);
    }

    private static async Task Release(IModelGrain grain, Guid session)
    {
        // bounded, and never in the way of the generation's own outcome: the idle sweep is the safety net
        try { await grain.ReleaseOwner(session).WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception) { }
    }
}
