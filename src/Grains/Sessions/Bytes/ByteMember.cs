using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// One member of a byte-level run: its cover tree (<see cref="ByteCoverTree"/>) and the KV sequences behind the tree's
/// branches — the member's granted sequence is the root, every other branch a fork of its parent's sequence. Applies
/// each byte's plan on the member's model grain: frees ended branches, forks (all forks of a byte before a parent's
/// sequence is taken over), appends one token per new branch (the model batches them into one decode), attaches the
/// distributions. Every sequence it forked belongs to the session and is freed with it.
/// </summary>
internal sealed class ByteMember(RunMember member, BytePruning pruning)
{
    private readonly ByteCoverTree _tree = new(TokenByteTables.For(member.Vocabulary), pruning);

    public RunMember Member { get; } = member;
    public ByteCoverTree Tree => _tree;

    /// <summary>The member's next-byte log-probabilities (257; all −∞ once it has lost the text).</summary>
    public double[] LogProbs { get; } = new double[ByteDistribution.Symbols];

    /// <summary>The member's prompt evidence (the prompt up to its back-off point, in its own tokens).</summary>
    public PromptEvidenceData? Evidence { get; private set; }

    /// <summary>False once no branch can spell the text (a vocabulary without bytes for it).</summary>
    public bool Following { get; private set; } = true;

    public long Forks { get; private set; }
    public long ForkRefusals { get; private set; }
    public long Decodes { get; private set; }

    /// <summary>Bytes of the prompt's end the member read through its tree.</summary>
    public int ReplayedBytes { get; private set; }

    /// <summary>
    /// Prefills the prompt up to the start of its last word (in this member's tokens, <see cref="PromptBackOff"/>),
    /// then reads the rest byte by byte, so the token that will straddle the prompt's end is not fixed by the prompt's
    /// own tokenization.
    /// </summary>
    /// <remarks>
    /// A conversation (<paramref name="chat"/>) is prefilled whole, its template's markers parsed as special tokens: the
    /// template ends where the reply begins, at a token boundary, as llama.cpp's server reads it, so no back-off is needed.
    /// </remarks>
    public async Task OpenAsync(string prompt, bool chat, CancellationToken ct)
    {
        var split = chat ? prompt.Length : PromptBackOff.Point(Member.Vocabulary, prompt);
        var opened = await Member.Sequence!.PrefillAsync(prompt[..split], chat, 0, 0, evidence: true, ct);
        Evidence = opened.Evidence;
        Member.Evidence = opened.Evidence;
        _tree.Start(opened.Next!.ToDistribution(), Member.Handle);
        ComputeNext();
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(prompt[split..]))
        {
            await AdvanceAsync(b, ct);
            ReplayedBytes++;
        }
    }

    /// <summary>Moves the tree past one byte (it must have positive probability under this member, or the member stops following).</summary>
    public async Task AdvanceAsync(byte b, CancellationToken ct)
    {
        if (!Following) return;
        if (double.IsNegativeInfinity(LogProbs[b]))
        {
            Following = false; // the other members carry the text; this one's weight is 0 from here
            Array.Fill(LogProbs, double.NegativeInfinity);
            return;
        }
        await ApplyAsync(_tree.Observe(b), ct);
        ComputeNext();
    }

    private void ComputeNext()
    {
        if (!_tree.NextByte(LogProbs)) Following = false;
    }

    private async Task ApplyAsync(ByteStepPlan plan, CancellationToken ct)
    {
        var grain = Member.Grain;
        if (plan.Released.Count > 0) await Task.WhenAll(plan.Released.Select(s => grain.Close((SequenceHandle)s)));
        var expansions = plan.Expansions;
        var handles = new SequenceHandle?[expansions.Count];
        await Task.WhenAll(expansions.Select(async (e, i) =>
        {
            if (e.TakesParentSequence) return;
            try
            {
                handles[i] = await grain.Fork((SequenceHandle)e.Parent.Sequence!);
                Forks++;
            }
            catch (ChorusException x) when (x.Kind == ChorusErrorKind.ResourceExhausted)
            {
                ForkRefusals++; // no free slot: the branch is dropped and its mass counted as dropped
            }
        }));
        for (var i = 0; i < expansions.Count; i++)
        {
            if (expansions[i].TakesParentSequence) handles[i] = (SequenceHandle)expansions[i].Parent.Sequence!;
            else if (handles[i] is null) _tree.Abandon(expansions[i].Child);
        }
        var full = new bool[expansions.Count];
        await Task.WhenAll(expansions.Select(async (e, i) =>
        {
            if (handles[i] is not { } handle) return;
            try
            {
                var step = await grain.Edit(handle, SequenceEditRequest.Append([e.Child.Token], 0), ct);
                _tree.Attach(e.Child, step.Next!.ToDistribution(), handle);
                Decodes++;
            }
            catch (ChorusException x) when (x.Kind == ChorusErrorKind.OutOfRange)
            {
                full[i] = true; // this tokenization no longer fits the context; shorter ones may
            }
        }));
        for (var i = 0; i < expansions.Count; i++)
        {
            if (!full[i]) continue;
            _tree.Abandon(expansions[i].Child);
            await grain.Close(handles[i]!);
        }
        if (_tree.Branches.Count == 0)
            throw new ChorusException(ChorusErrorKind.OutOfRange, $"model '{Member.Name}': every tokenization of the text fills its context of {Member.Facts.ContextSize} tokens");
    }
}
