using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The drafter's sequence for one speculative generation: a member's own (the main member unless another is named), or
/// one sequence of a separate model of the main vocabulary, admitted and prefilled here (on the conversation in its own
/// chat template, for chat) and released on dispose (the
/// session's release of its members covers only the members' models).
/// </summary>
internal sealed class SpeculativeDrafterLease : IAsyncDisposable
{
    /// <summary>The top-k a separate drafter sends per draft (a proposal restricted to its top-k is still exact).</summary>
    public const int DrafterTopK = 64;

    private readonly IModelGrain? _external;
    private readonly Guid _session;

    private SpeculativeDrafterLease(MemberSequence sequence, int memberIndex, IModelGrain? external, Guid session)
    {
        Sequence = sequence;
        MemberIndex = memberIndex;
        _external = external;
        _session = session;
    }

    public MemberSequence Sequence { get; }

    /// <summary>The drafting member, or −1 for a separate drafter model.</summary>
    public int MemberIndex { get; }

    public static async Task<SpeculativeDrafterLease> OpenAsync(FusedRun run, string? drafter, MemberSequence?[] sequences, SpeculativeContext context, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(drafter) ? DefaultDrafter(run) : drafter.Trim();
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
            // a conversation is formatted in the drafter's own template: its drafts are guesses the members verify
            var sequence = new MemberSequence(grain, handle, facts.ContextSize);
            if (run.Messages is { } messages) await sequence.PrefillAsync(await grain.FormatChat(messages), chat: true, DrafterTopK, 0, evidence: false, ct);
            else await sequence.PrefillAsync(run.Prompt, chat: false, DrafterTopK, 0, evidence: false, ct);
            return new SpeculativeDrafterLease(sequence, -1, grain, context.Session);
        }
        catch
        {
            await Release(grain, context.Session);
            throw;
        }
    }

    /// <summary>
    /// The member the method weighs most at the prompt (PackLLM's λ: the domain's expert), among those that share the
    /// fused vocabulary; the main member on a tie or when the weights vary per step. A member the ensemble follows
    /// drafts what it will keep: on the zoo's domain pack with a Shakespeare prompt, main (wiki-expert) had 0 of 7
    /// drafts kept and shakespeare-expert 37 of 37.
    /// </summary>
    internal static string DefaultDrafter(FusedRun run)
    {
        var weights = run.Fusion is { } fusion ? fusion.PreparedWeights : default;
        var best = run.MainIndex;
        if (weights.Length != run.Members.Count) return run.Members[best].Name;
        for (var i = 0; i < weights.Length; i++)
        {
            var m = run.Members[i];
            if (m.Active && m.SharesMainVocabulary && weights[i] > weights[best]) best = i;
        }
        return run.Members[best].Name;
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
